// Turns on net.ipv4.tcp_migrate_req for this network namespace: without it a closing reusePort
// listener resets the connections still in its accept queue, so a rolling reload loses requests.

import { getLogger } from "../runtime/logger.ts";

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

function canRunSysctl(): boolean {
  try {
    return Deno.permissions.querySync({ name: "run", command: "sysctl" }).state === "granted";
  } catch {
    return false;
  }
}

const systemAccess: SettingAccess = {
  read(): string | undefined {
    try {
      return Deno.readTextFileSync(PATH).trim();
    } catch (err) {
      if (!(err instanceof Deno.errors.NotCapable) || !canRunSysctl()) return undefined;
      try {
        return sysctl(["-n", NAME]);
      } catch {
        return undefined;
      }
    }
  },
  write(): void {
    try {
      Deno.writeTextFileSync(PATH, "1\n");
    } catch (err) {
      if (!(err instanceof Deno.errors.NotCapable) || !canRunSysctl()) throw err;
      sysctl(["-q", "-w", `${NAME}=1`]);
    }
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
