import type { Config } from "./_conf.ts";
import { FileLockImpl } from "./_file_lock.ts";
import { checkName, lockFilePath } from "./_lock_path.ts";
import type { FileLock } from "./_file_lock.ts";

export type { FileLock, FileLockAcquireOptions } from "./_file_lock.ts";

/**
 * Options for {@linkcode externalLock}.
 *
 * @example
 * ```ts
 * import { externalLock, type ExternalLockOptions } from "@fjord/fjord/lock";
 * import assert from "node:assert/strict";
 *
 * const options: ExternalLockOptions = { lockPath: "/tmp/locks", lockFilePrefix: "nova" };
 * assert.equal(externalLock("a/b", options).path, "/tmp/locks/nova-a_b");
 * ```
 */
export interface ExternalLockOptions {
  /** The lock file name prefix (`"nova"` → `nova-<name>`). */
  lockFilePrefix?: string;
  /** The lock directory (overrides config, defaults and environment). */
  lockPath?: string;
  /** The config whose `[oslo_concurrency] lock_path` applies. */
  conf?: Config;
}

/**
 * An inter-process file lock on `<lockPath>/<prefix-name>`, not yet acquired (oslo's
 * `external_lock`). The file lock alone does not take the in-process name lock of
 * {@linkcode lock}, but two FileLocks on one path in one process still exclude each other.
 *
 * @param name The lock name; `/` becomes `_` and the file always stays inside the directory.
 * @param o `lockFilePrefix`, `lockPath`, `conf`.
 * @returns The unacquired {@linkcode FileLock}.
 * @throws {TypeError} When `name` is not a non-empty string.
 * @throws {RangeError} When the lock file name would exceed 255 bytes.
 * @throws {LockPathRequiredError} When no lock directory is configured.
 *
 * @example
 * ```ts
 * import { externalLock } from "@fjord/fjord/lock";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * {
 *   await using file = externalLock("jobs/daily", { lockPath: dir, lockFilePrefix: "cron" });
 *   assert.equal(file.path, `${dir}/cron-jobs_daily`);
 *   assert.equal(await file.acquire(), true);
 *   assert.equal(file.acquired, true);
 * }
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function externalLock(name: string, o?: ExternalLockOptions): FileLock {
  checkName(name, "make an external lock");
  return new FileLockImpl(lockFilePath(name, o?.lockFilePrefix, o?.lockPath, o?.conf));
}
