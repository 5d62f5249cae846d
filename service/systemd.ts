/**
 * systemd notification (`sd_notify`): `READY=1` / `STOPPING=1` / `WATCHDOG=1` to `$NOTIFY_SOCKET`,
 * and the receiving side, {@linkcode onReady}, for whoever waits for a service to be ready.
 *
 * Deno 2 can only send unix datagrams with the unstable `Deno.listenDatagram` (`--unstable-net`,
 * and net permission for unix sockets: `--allow-net`). When that API is there and permitted it is
 * used; otherwise fjord runs `systemd-notify` (needs `--allow-run` and, since the message then
 * comes from another pid, `NotifyAccess=all` in the unit).
 *
 * @module
 */

import { type Clock, systemClock } from "../runtime/clock.ts";
import { checkClock } from "../runtime/_check_clock.ts";
import { getLogger } from "../runtime/logger.ts";
import { checkOptionsObject, checkSignalOption } from "../runtime/_check_options.ts";
import { checkNumber } from "../runtime/_check_number.ts";
import { describeValue } from "../runtime/_describe.ts";
import { optionalEnv } from "../runtime/_optional_env.ts";

interface UnixAddr {
  transport: "unixpacket";
  path: string;
}

type DatagramListen = (options: UnixAddr) => {
  send(data: Uint8Array, addr: UnixAddr): Promise<number>;
  receive(): Promise<[Uint8Array, unknown]>;
  close(): void;
};

/** The unstable datagram API, or undefined when Deno runs without `--unstable-net`. */
function datagramListen(): DatagramListen | undefined {
  const listen = (Deno as unknown as { listenDatagram?: DatagramListen }).listenDatagram;
  return typeof listen === "function" ? listen : undefined;
}

/** A `$NOTIFY_SOCKET` address as Deno takes it: a leading `@` is the abstract namespace (NUL). */
function socketPath(address: string): string {
  return address.startsWith("@") ? `\0${address.slice(1)}` : address;
}

function notifySocket(): string | undefined {
  return optionalEnv("NOTIFY_SOCKET");
}

async function sendDatagram(socket: string, state: string): Promise<boolean> {
  const listen = datagramListen();
  if (listen === undefined) return false;
  const dir = await Deno.makeTempDir({ prefix: "fjord-notify-" });
  try {
    const conn = listen({ transport: "unixpacket", path: `${dir}/s` });
    try {
      const to: UnixAddr = { transport: "unixpacket", path: socketPath(socket) };
      await conn.send(new TextEncoder().encode(state), to);
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

/**
 * Options for {@linkcode onReady}.
 *
 * @example
 * ```ts
 * import type { OnReadyOptions } from "@fjord/fjord";
 *
 * const options: OnReadyOptions = { timeout: 30_000, signal: AbortSignal.timeout(60_000) };
 * ```
 */
export interface OnReadyOptions {
  /**
   * Milliseconds to wait for a message before resolving `2` (oslo's `timeout`, there in
   * seconds). Default: no limit.
   */
  timeout?: number;
  /** Stops waiting: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Measures `timeout` (default: the system clock). */
  clock?: Clock;
}

function checkOnReadyArgs(notifySocket: unknown, options: OnReadyOptions): void {
  if (typeof notifySocket !== "string" || notifySocket === "" || notifySocket === "@") {
    throw new TypeError(
      `Cannot wait for READY=1 as 'notifySocket' must be a socket path or "@name": current value is ${
        describeValue(notifySocket)
      }`,
    );
  }
  checkOptionsObject(options, "wait for READY=1");
  const { timeout, signal } = options;
  checkClock(options.clock, "wait for READY=1");
  if (timeout !== undefined) {
    checkNumber(timeout, "wait for READY=1", "timeout", "a number of ms >= 0", (n) => n >= 0);
  }
  checkSignalOption(signal, "wait for READY=1");
}

/**
 * Waits for a service's readiness message, as systemd does for a `Type=notify` unit (oslo's
 * `systemd.onready`): binds a unix datagram socket at `notifySocket`, waits for one message and
 * resolves `0` when it is exactly `READY=1`, `1` for any other message, `2` when `timeout` passes
 * first. Start the service with `NOTIFY_SOCKET` set to the same address; fjord's launchers send
 * `READY=1` once every service started. This is what a supervisor, a deploy script or a test uses
 * to wait until a fjord service is up.
 *
 * The socket is bound before this function returns its promise, so a process started after the
 * call cannot send too early. A leading `@` names a socket in Linux's abstract namespace (no
 * file). However the wait ends, the socket is closed, its file removed and the timer cleared.
 *
 * Needs Deno's unstable unix datagram API: run with `--unstable-net`, and with `--allow-net`
 * (or `--allow-net=unix:<path>`), `--allow-read` and `--allow-write` for the socket.
 *
 * @param notifySocket The address: a file path, or `@name` for the abstract namespace.
 * @param options `timeout` (ms; default no limit), `signal` and the `clock` that measures it.
 * @returns `0` for `READY=1`, `1` for another message, `2` on timeout.
 * @throws {TypeError} At the call, when `notifySocket` is empty or not a string, or an option has
 *   the wrong type.
 * @throws {RangeError} At the call, when `timeout` is negative or NaN.
 * @throws {Deno.errors.NotCapable} Without `--unstable-net` or a permission the socket needs; the
 *   message names the flag (rejects).
 * @throws {Deno.errors.AddrInUse} When something already exists at that path (rejects).
 * @throws {unknown} The signal's reason, when `signal` aborts first (rejects).
 *
 * @example Nobody sends READY=1, so the wait times out
 * ```ts
 * import { onReady } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * try {
 *   // Bound once onReady() returns: start the service with NOTIFY_SOCKET set here.
 *   const ready = onReady(`${dir}/notify.sock`, { timeout: 50 });
 *   assert.equal(await ready, 2);
 * } catch (err) {
 *   // Run without --unstable-net: Deno has no unix datagram sockets.
 *   assert.ok(err instanceof Deno.errors.NotCapable, String(err));
 *   assert.match(err.message, /--unstable-net/);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export function onReady(
  notifySocket: string,
  options: OnReadyOptions = {},
): Promise<0 | 1 | 2> {
  checkOnReadyArgs(notifySocket, options);
  return waitForReady(notifySocket, options);
}

// onReady()'s wait, once its arguments are checked: everything from here rejects.
async function waitForReady(notifySocket: string, options: OnReadyOptions): Promise<0 | 1 | 2> {
  const { timeout = Infinity, signal, clock = systemClock } = options;
  signal?.throwIfAborted();
  const listen = datagramListen();
  if (listen === undefined) {
    throw new Deno.errors.NotCapable(
      `Cannot wait for READY=1 on '${notifySocket}' as unix datagram sockets need Deno's unstable net API: run again with the --unstable-net flag`,
    );
  }
  const path = socketPath(notifySocket);
  // Synchronous, before the first await: the caller may start the service right after the call.
  const conn = listen({ transport: "unixpacket", path });
  const done = new AbortController();
  let received: Promise<[Uint8Array, unknown]> | undefined;
  let timedOut: Promise<"timeout"> | undefined;
  let onAbort: (() => void) | undefined;
  try {
    received = conn.receive();
    if (timeout !== Infinity) {
      timedOut = clock.sleep(timeout, { signal: done.signal }).then(() => "timeout" as const);
    }
    const aborted = new Promise<"aborted">((resolve) => {
      onAbort = () => resolve("aborted");
      signal?.addEventListener("abort", onAbort, { once: true });
    });
    const first = await Promise.race([received, aborted, ...(timedOut ? [timedOut] : [])]);
    if (first === "timeout") return 2;
    if (first === "aborted") throw signal!.reason;
    return new TextDecoder().decode(first[0]) === "READY=1" ? 0 : 1;
  } finally {
    done.abort();
    if (onAbort !== undefined) signal?.removeEventListener("abort", onAbort);
    conn.close();
    // Closing cancels a pending receive, aborting cancels the timer: wait for both to settle so
    // nothing outlives the call.
    await Promise.allSettled([received, timedOut]);
    if (path === notifySocket) {
      await Deno.remove(path).catch((err) => {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      });
    }
  }
}
