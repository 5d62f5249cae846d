import { acquireLock, type LockHandle, type LockOptions } from "./_lock.ts";
import { checkPrefix } from "./_lock_path.ts";

export type { LockHandle, LockOptions } from "./_lock.ts";

/**
 * Takes the named lock (oslo's `lockutils.lock`): the in-process FIFO lock for `name`, then in
 * the threading backend its slot in the cross-Worker table, then with `external: true` an
 * advisory file lock on `<lockPath>/<prefix-name>`. Use with `await using`.
 *
 * Logs at debug level, like oslo: `Acquiring lock "x"`, `Acquired lock "x"`,
 * `Acquired external semaphore "x"`, `Releasing lock "x"`.
 *
 * @param name The lock name (non-empty). For the file, `/` becomes `_`.
 * @param o Options: `external`, `lockPath`, `lockFilePrefix`, `fileLockMode`, `fair`, `blocking`,
 *   `semaphores`, `signal`, `timeout` (ms), `conf`, `clock`.
 * @returns A promise of the held {@linkcode LockHandle}.
 * @throws {TypeError} When `name` is not a non-empty string or an option has the wrong type.
 * @throws {RangeError} When `timeout` is negative or NaN, or for `external` locks when the lock
 *   file name would exceed 255 bytes.
 * @throws {LockPathRequiredError} For `external` locks when no lock directory is configured
 *   (thrown at the call, before anything is held).
 * @throws {AcquireLockFailedError} (through the promise) With `blocking: false` when held elsewhere.
 * @throws {DOMException} (through the promise) `TimeoutError` when `timeout` passes first.
 *
 * @example
 * ```ts
 * import { lock } from "@fjord/fjord/lock";
 * import assert from "node:assert/strict";
 *
 * let balance = 100;
 * async function withdraw(amount: number): Promise<void> {
 *   await using _lock = await lock("account-42");
 *   const current = balance;
 *   await Promise.resolve();
 *   balance = current - amount;
 * }
 * await Promise.all([withdraw(10), withdraw(20)]);
 * assert.equal(balance, 70);
 * ```
 *
 * @example Giving up after a timeout
 * ```ts
 * import { lock } from "@fjord/fjord/lock";
 * import assert from "node:assert/strict";
 *
 * await using _held = await lock("slow");
 * await assert.rejects(lock("slow", { timeout: 10 }), { name: "TimeoutError" });
 * ```
 */
export function lock(name: string, o?: LockOptions): Promise<LockHandle> {
  return acquireLock(name, o ?? {}, true);
}

/**
 * `lock` with a fixed `lockFilePrefix` (oslo's `lock_with_prefix`).
 *
 * @param prefix The lock file prefix (`-` is added unless it ends with one).
 * @returns A `lock` function using that prefix unless the call names another.
 * @throws {TypeError} When `prefix` is not a string.
 *
 * @example
 * ```ts
 * import { lockWithPrefix } from "@fjord/fjord/lock";
 * import assert from "node:assert/strict";
 *
 * const novaLock = lockWithPrefix("nova");
 * await using held = await novaLock("instances");
 * assert.equal(held.name, "instances");
 * ```
 */
export function lockWithPrefix(prefix: string): typeof lock {
  checkPrefix(prefix, "make a prefixed lock");
  return (name: string, o?: LockOptions): Promise<LockHandle> =>
    acquireLock(name, { ...o, lockFilePrefix: o?.lockFilePrefix ?? prefix }, true);
}
