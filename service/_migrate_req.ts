// Turns on net.ipv4.tcp_migrate_req for this network namespace: without it a closing reusePort
// listener resets the connections still in its accept queue, so a rolling reload loses requests.

import { getLogger } from "../runtime/logger.ts";
import { permitted } from "../runtime/_permitted.ts";

const PATH = "/proc/sys/net/ipv4/tcp_migrate_req";
const NAME = "net.ipv4.tcp_migrate_req";
let done = false;

/** Ways to read and write the setting; the default is the file, else `sysctl`. */
export interface SettingAccess {
  read(): string | undefined;
  write(): void;
}

// Deno grants /proc/sys only with --allow-all; --allow-run=sysctl is the narrower way.
function sysctl(args: string[]): string {
  const out = new Deno.Command("sysctl", { args, stdin: "null", stdout: "piped", stderr: "piped" })
    .outputSync();
  if (!out.success) {
    throw new Error(`sysctl ${args.join(" ")}: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return new TextDecoder().decode(out.stdout).trim();
}

const canRunSysctl = (): boolean => permitted({ name: "run", command: "sysctl" });

// Each way is tried only with its permission: without it Deno would prompt at a terminal (the
// README's multi-worker example stopped at a write prompt for this file). With --allow-read or
// --allow-write alone Deno still refuses /proc/sys (NotCapable): sysctl is tried next.
const systemAccess: SettingAccess = {
  read(): string | undefined {
    if (permitted({ name: "read", path: PATH })) {
      try {
        return Deno.readTextFileSync(PATH).trim();
      } catch (err) {
        if (!(err instanceof Deno.errors.NotCapable)) return undefined;
      }
    }
    if (!canRunSysctl()) return undefined;
    try {
      return sysctl(["-n", NAME]);
    } catch {
      return undefined;
    }
  },
  write(): void {
    if (permitted({ name: "write", path: PATH })) {
      try {
        Deno.writeTextFileSync(PATH, "1\n");
        return;
      } catch (err) {
        if (!(err instanceof Deno.errors.NotCapable)) throw err;
      }
    }
    if (!canRunSysctl()) {
      throw new Deno.errors.NotCapable(
        `Requires write access to "${PATH}" (Deno grants /proc/sys only with --allow-all) or --allow-run=sysctl`,
      );
    }
    sysctl(["-q", "-w", `${NAME}=1`]);
  },
};

/**
 * Once per process: when the setting is not 1, sets it (root or CAP_NET_ADMIN, and Deno
 * permission: --allow-all for /proc/sys, or --allow-run=sysctl) and logs that it did, or warns
 * naming the setting when it cannot. Returns the setting's value now (undefined when unknown).
 */
export function enableTcpMigrateReq(access: SettingAccess = systemAccess): string | undefined {
  if (Deno.build.os !== "linux") return undefined;
  if (done) return access.read();
  done = true;
  const before = access.read();
  if (before === "1") return before;
  try {
    access.write();
  } catch (err) {
    getLogger().warning(
      `Cannot set ${NAME}=1 (${
        err instanceof Error ? `${err.name}: ${err.message}` : String(err)
      }): a rolling reload of reusePort servers may reset connections queued on a closing listener. Set it with 'sysctl -w ${NAME}=1', or run as root / with CAP_NET_ADMIN and --allow-run=sysctl (or --allow-all); migrateRequests: false silences this`,
    );
    return before;
  }
  getLogger().info(
    `Set ${NAME}=1 for this network namespace (was ${
      before ?? "unknown"
    }): connections queued on a closing reusePort listener now move to another worker`,
  );
  return "1";
}

/** Forgets that it ran (tests). */
export function resetTcpMigrateReq(): void {
  done = false;
}
