/**
 * systemd notification (`sd_notify`): `READY=1` / `STOPPING=1` / `WATCHDOG=1` to `$NOTIFY_SOCKET`.
 *
 * Deno 2 can only send unix datagrams with the unstable `Deno.listenDatagram` (`--unstable-net`).
 * When that API is there it is used; otherwise fjord runs `systemd-notify` (needs `--allow-run`
 * and, since the message then comes from another pid, `NotifyAccess=all` in the unit).
 *
 * @module
 */

import { getLogger } from "../runtime/logger.ts";

type DatagramListen = (options: { transport: "unixpacket"; path: string }) => {
  send(data: Uint8Array, addr: { transport: "unixpacket"; path: string }): Promise<number>;
  close(): void;
};

function notifySocket(): string | undefined {
  try {
    return Deno.env.get("NOTIFY_SOCKET") || undefined;
  } catch {
    // Without --allow-env the variable counts as unset.
    return undefined;
  }
}

async function sendDatagram(socket: string, state: string): Promise<boolean> {
  const listen = (Deno as unknown as { listenDatagram?: DatagramListen }).listenDatagram;
  // Abstract-namespace sockets ("@name") cannot be addressed through Deno's path API.
  if (typeof listen !== "function" || socket.startsWith("@")) return false;
  const dir = await Deno.makeTempDir({ prefix: "fjord-notify-" });
  try {
    const conn = listen({ transport: "unixpacket", path: `${dir}/s` });
    try {
      await conn.send(new TextEncoder().encode(state), { transport: "unixpacket", path: socket });
    } finally {
      conn.close();
    }
    return true;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

async function notify(state: string): Promise<boolean> {
  const socket = notifySocket();
  if (socket === undefined) return false;
  try {
    if (await sendDatagram(socket, state)) return true;
  } catch (err) {
    getLogger().debug("Systemd notification over the datagram API failed", err);
  }
  try {
    const out = await new Deno.Command("systemd-notify", {
      args: [state],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    if (out.success) return true;
    getLogger().debug(
      `Systemd notification failed: systemd-notify exited with ${out.code}: ${
        new TextDecoder().decode(out.stderr).trim()
      }`,
    );
  } catch (err) {
    getLogger().debug("Systemd notification failed", err);
  }
  return false;
}

/**
 * Tells systemd the service is ready (`READY=1`), when `$NOTIFY_SOCKET` is set. The launchers
 * call it once, after every service's `start()` resolved. Failures are logged at debug level.
 *
 * @returns `true` when the message was sent, `false` when there is no socket or sending failed.
 *
 * @example
 * ```ts
 * import { notifyReady } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * Deno.env.delete("NOTIFY_SOCKET");
 * assert.equal(await notifyReady(), false);
 * ```
 */
export function notifyReady(): Promise<boolean> {
  return notify("READY=1");
}

/**
 * Tells systemd the service is stopping (`STOPPING=1`), when `$NOTIFY_SOCKET` is set. The
 * launchers call it when a stop begins.
 *
 * @returns `true` when the message was sent, `false` when there is no socket or sending failed.
 *
 * @example
 * ```ts
 * import { notifyStopping } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * Deno.env.delete("NOTIFY_SOCKET");
 * assert.equal(await notifyStopping(), false);
 * ```
 */
export function notifyStopping(): Promise<boolean> {
  return notify("STOPPING=1");
}

/**
 * Tells systemd the service is alive (`WATCHDOG=1`), when `$NOTIFY_SOCKET` is set. The launchers
 * send it every `WATCHDOG_USEC / 2` while their workers are healthy when `$WATCHDOG_USEC` is set
 * (and `$WATCHDOG_PID` is unset or this process); call it yourself only without a launcher.
 *
 * @returns `true` when the message was sent, `false` when there is no socket or sending failed.
 *
 * @example
 * ```ts
 * import { notifyWatchdog } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * Deno.env.delete("NOTIFY_SOCKET");
 * assert.equal(await notifyWatchdog(), false);
 * ```
 */
export function notifyWatchdog(): Promise<boolean> {
  return notify("WATCHDOG=1");
}
