import type { Coordinator } from "../coord/coordinator.ts";
import type { Clock } from "../runtime/clock.ts";
import type { Config } from "./_conf.ts";
import { acquireLock } from "./_lock.ts";
import { checkPrefix } from "./_lock_path.ts";
import type { FileLockMode } from "./file_lock.ts";
import type { Semaphores } from "./semaphores.ts";

/**
 * Options for {@linkcode lock} and {@linkcode synchronized}.
 *
 * @example
 * ```ts
 * import { lock, type LockOptions } from "@fjord/fjord/lock";
 *
 * const options: LockOptions = { timeout: 5_000 };
 * await (await lock("job", options)).release();
 * ```
 */
export interface LockOptions {
  /**
   * Also take an inter-process file lock in the lock directory (after the in-process lock).
   * Default `false`. A no-op when `[oslo_concurrency] disable_process_locking` is true.
   */
  external?: boolean;
  /**
   * Also take the coordinator's distributed lock for the name (after the in-process lock),
   * excluding every process on every host connected to the same engine. The handle then carries
   * the {@linkcode LockHandle.fencingToken} and the {@linkcode LockHandle.lost} signal. The
   * distributed lock's name is `name`, behind `lockFilePrefix` when one is given (`nova-name`).
   * `blocking: false` uses `coordinator.tryLock()`; `signal` and `timeout` cover the whole
   * wait, and giving up removes this waiter's key from the server. Cannot be combined with
   * `external` (a `TypeError`): the distributed lock already excludes processes on this host.
   * See `connect()` in `@fjord/fjord/coord`.
   */
  coordinator?: Coordinator;
  /** The lock directory for `external` (overrides config, defaults and environment). */
  lockPath?: string;
  /** The lock file name prefix (`"nova"` → `nova-<name>`); also prefixes a `coordinator` lock. */
  lockFilePrefix?: string;
  /**
   * How `external` locks lock their file: `"flock"` or `"fcntl"` (shares locks with Python
   * oslo.concurrency; needs `--allow-ffi`). Default: `setDefaults({fileLockMode})`, else
   * `"flock"`. See {@linkcode FileLockMode}.
   */
  fileLockMode?: FileLockMode;
  /**
   * oslo's fair lock. Every fjord internal lock is already FIFO, so this only documents intent;
   * fair locks are not re-entrant (there is no thread identity to re-enter with).
   */
  fair?: boolean;
  /** `false`: fail at once with {@linkcode AcquireLockFailedError} when held. Default `true`. */
  blocking?: boolean;
  /** A private registry of names to use instead of the process-wide one. */
  semaphores?: Semaphores;
  /** Gives up waiting: rejects with `signal.reason`, nothing stays held or queued. */
  signal?: AbortSignal;
  /** Gives up waiting after this many milliseconds with a `TimeoutError` DOMException. */
  timeout?: number;
  /** The config whose `[oslo_concurrency]` options apply (default: `setDefaults({conf})`'s). */
  conf?: Config;
  /** The clock `timeout` and the file-lock polling are measured on. Default `systemClock`. */
  clock?: Clock;
}

/**
 * A held lock from {@linkcode lock}. `await using` releases it on every exit path;
 * {@linkcode LockHandle.release} is idempotent. Releasing never waits, so the handle is also
 * `Disposable`: `using held = await lock(name)` works too and skips one await.
 *
 * @example
 * ```ts
 * import { lock } from "@fjord/fjord/lock";
 * import assert from "node:assert/strict";
 *
 * const handle = await lock("report");
 * assert.equal(handle.name, "report");
 * await handle.release();
 * await handle.release(); // no-op
 * ```
 */
export interface LockHandle extends AsyncDisposable, Disposable {
  /**
   * Releases the lock (distributed lock or file lock, cross-Worker slot, in-process lock);
   * later calls do nothing. With a `coordinator` it waits for the server to remove the key.
   */
  release(): Promise<void>;
  /** The lock's name. */
  readonly name: string;
  /**
   * With a `coordinator`: the distributed lock's fencing token, strictly increasing per name
   * across every holder on every host. Hand it to the protected resource, which refuses a
   * write carrying a token lower than the highest it has seen. `undefined` otherwise.
   */
  readonly fencingToken?: bigint;
  /**
   * With a `coordinator`: aborts when the distributed lock is no longer held (the session lease
   * was lost, the lock was released, or the coordinator closed); reading it runs the
   * coordinator's local TTL check. `undefined` otherwise.
   */
  readonly lost?: AbortSignal;
}

/**
 * Takes the named lock (oslo's `lockutils.lock`): the in-process FIFO lock for `name`, then in
 * the threading backend its slot in the cross-Worker table, then with `external: true` an
 * advisory file lock on `<lockPath>/<prefix-name>`, or with `coordinator` the coordinator's
 * distributed lock (fenced: see {@linkcode LockHandle.fencingToken}). Use with `await using`
 * (with a `coordinator`, `using` starts the release without waiting for the server).
 *
 * Logs at debug level, like oslo: `Acquiring lock "x"`, `Acquired lock "x"`,
 * `Acquired external semaphore "x"`, `Releasing lock "x"`.
 *
 * @param name The lock name (non-empty). For the file, `/` becomes `_`.
 * @param o Options: `external`, `coordinator`, `lockPath`, `lockFilePrefix`, `fileLockMode`,
 *   `fair`, `blocking`, `semaphores`, `signal`, `timeout` (ms), `conf`, `clock`.
 * @returns A promise of the held {@linkcode LockHandle}.
 * @throws {TypeError} When `name` is not a non-empty string, an option has the wrong type
 *   (`timeout: "5"` included), or both `external` and `coordinator` are given.
 * @throws {RangeError} When `timeout` is negative or NaN, or for `external` locks when the lock
 *   file name would exceed 255 bytes.
 * @throws {LockPathRequiredError} For `external` locks when no lock directory is configured
 *   (thrown at the call, before anything is held).
 * @throws {AcquireLockFailedError} (through the promise) With `blocking: false` when held elsewhere.
 * @throws {DOMException} (through the promise) `TimeoutError` when `timeout` passes first.
 * @throws {CoordinatorUnavailableError} (through the promise) With a `coordinator` that is
 *   closed or has lost its session.
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
 *
 * @example Across hosts, with a fencing token
 * ```ts
 * import { connect } from "@fjord/fjord/coord";
 * import { lock } from "@fjord/fjord/lock";
 * import assert from "node:assert/strict";
 *
 * // etcd://host:2379 or redis://host:6379 in production; memory:// runs without a server.
 * await using coordinator = await connect("memory://lock-example");
 * let highest = 0n; // what the protected resource remembers
 * for (let i = 0; i < 2; i++) {
 *   await using held = await lock("invoices", { coordinator, timeout: 5_000 });
 *   assert.ok(held.fencingToken! > highest && !held.lost!.aborted);
 *   highest = held.fencingToken!;
 * }
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
