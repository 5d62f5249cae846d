// lock()'s machinery, shared by lock(), synchronized() and removeExternalLockFile().
//
// Order of acquisition (oslo's): the in-process FIFO mutex for the name, then (threading
// backend) the name's slot in the cross-Worker table, then (external) the lock file. Release runs
// in reverse. The uncontended internal case completes synchronously and returns an already
// resolved promise: no async function frame, no extra microtask turn.

import { type Clock, systemClock } from "../runtime/clock.ts";
import { getLogger } from "../runtime/logger.ts";
import { selectedBackendType } from "../runtime/selection.ts";
import { isFjordWorker } from "../runtime/_fjord_worker.ts";
import type { Config } from "./_conf.ts";
import { checkTimeout, FileLockImpl } from "./_file_lock.ts";
import { checkMode, resolveMode } from "./_lock_file.ts";
import type { FileLockMode } from "./file_lock.ts";
import { checkName, lockFilePath, processLockingDisabled } from "./_lock_path.ts";
import { acquireWithDeadline, deadlineOf, type Mutex } from "./_mutex.ts";
import { acquireSlot, releaseSlot, slotOf, tryAcquireSlot } from "./_shared_lock_table.ts";
import { AcquireLockFailedError } from "./errors.ts";
import { Semaphores } from "./semaphores.ts";

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
  /** The lock directory for `external` (overrides config, defaults and environment). */
  lockPath?: string;
  /** The lock file name prefix (`"nova"` → `nova-<name>`). */
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
  /** Releases the lock (file lock, cross-Worker slot, in-process lock); later calls do nothing. */
  release(): Promise<void>;
  /** The lock's name. */
  readonly name: string;
}

/** The registry lock() uses when no `semaphores` option is given. */
export const defaultSemaphores: Semaphores = new Semaphores();

const RESOLVED: Promise<void> = Promise.resolve();

// Named internal locks engage the cross-Worker table in the threading backend and inside any
// Worker fjord started; the cooperative backend keeps the pure in-isolate path.
function sharedEngaged(): boolean {
  return selectedBackendType() === "threading" || isFjordWorker();
}

class Handle implements LockHandle {
  readonly name: string;
  #held: Disposable | undefined;
  #slot: number;
  #file: FileLockImpl | undefined;
  #log: boolean;

  constructor(
    name: string,
    held: Disposable,
    slot: number,
    file: FileLockImpl | undefined,
    log: boolean,
  ) {
    this.name = name;
    this.#held = held;
    this.#slot = slot;
    this.#file = file;
    this.#log = log;
  }

  release(): Promise<void> {
    try {
      this[Symbol.dispose]();
    } catch (err) {
      return Promise.reject(err);
    }
    return RESOLVED;
  }

  // Releasing never waits, so the handle is also synchronously disposable (`using`).
  [Symbol.dispose](): void {
    const held = this.#held;
    if (held === undefined) return;
    this.#held = undefined;
    if (this.#log) getLogger().debug(`Releasing lock "${this.name}"`);
    // The in-process lock first: a local waiter only runs in a later microtask, after this.
    // Then the file, its unlock as late as possible: the shorter the time from unlocking to
    // this process's next attempt, the fewer hand-offs between processes, each of which costs
    // a kernel wake-up of the waiter. The cross-Worker slot last: a Worker granted it runs at
    // once, in parallel, and must find the file unlocked.
    held[Symbol.dispose]();
    try {
      this.#file?.releaseSync();
    } finally {
      if (this.#slot >= 0) releaseSlot(this.#slot);
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }
}

function checkOptions(o: LockOptions, what: string): void {
  if (o === null || typeof o !== "object") {
    throw new TypeError(`Cannot ${what} as 'o' must be an object: current value is ${String(o)}`);
  }
  checkTimeout(o.timeout);
  checkMode(o.fileLockMode, what);
  if (o.semaphores !== undefined && !(o.semaphores instanceof Semaphores)) {
    throw new TypeError(`Cannot ${what} as 'semaphores' must be a Semaphores instance`);
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
    throw new TypeError(`Cannot ${what} as 'signal' must be an AbortSignal`);
  }
}

/** Validates `name` and `o` as lock()/synchronized() would, throwing at the call. */
export function validateLockArgs(name: unknown, o: LockOptions, what: string): void {
  checkName(name, what);
  checkOptions(o, what);
}

/**
 * Takes the lock. Throws synchronously for bad arguments and a missing lock path (before
 * anything is held); everything else settles through the promise.
 */
export function acquireLock(name: string, o: LockOptions, doLog: boolean): Promise<LockHandle> {
  checkName(name, "lock");
  checkOptions(o, "lock");
  const external = o.external === true && !processLockingDisabled(o.conf);
  const path = external ? lockFilePath(name, o.lockFilePrefix, o.lockPath, o.conf) : undefined;
  const mode = resolveMode(o.fileLockMode);
  const signal = o.signal;
  if (signal?.aborted) return Promise.reject(signal.reason);
  const mutex = (o.semaphores ?? defaultSemaphores).get(name);
  if (doLog) getLogger().debug(`Acquiring lock "${name}"`);
  const shared = sharedEngaged();
  const held = mutex.tryAcquire();
  if (held !== undefined) {
    // Everything free right now: complete synchronously, no async frame, no extra turn.
    const slot = shared ? slotOf(name) : -1;
    if (slot < 0 || tryAcquireSlot(slot)) {
      let file: FileLockImpl | undefined;
      if (path !== undefined) {
        file = new FileLockImpl(path, mode);
        let ok: boolean;
        try {
          ok = file.tryAcquireSync();
        } catch (err) {
          if (slot >= 0) releaseSlot(slot);
          held[Symbol.dispose]();
          return Promise.reject(err);
        }
        if (!ok) {
          // Busy: undo the slot; the slow path waits, keeping the in-process lock it holds
          // (and the file, if only the file was busy).
          if (slot >= 0) releaseSlot(slot);
          return acquireSlow(name, o, doLog, mutex, held, shared, path, file);
        }
      }
      if (doLog) {
        getLogger().debug(`Acquired lock "${name}"`);
        if (file !== undefined) getLogger().debug(`Acquired external semaphore "${name}"`);
      }
      return Promise.resolve(new Handle(name, held, slot, file, doLog));
    }
  }
  if (held === undefined && path === undefined && o.blocking !== false) {
    // Contended internal lock: wait for the mutex without an async frame; the cross-Worker slot
    // is usually free by the time the previous local holder hands the mutex over.
    const clock = o.clock ?? systemClock;
    const deadline = deadlineOf(o.timeout, clock, `lock "${name}"`);
    return acquireWithDeadline(mutex, signal, deadline, clock).then((h) => {
      if (doLog) getLogger().debug(`Acquired lock "${name}"`);
      if (!shared) return new Handle(name, h, -1, undefined, doLog);
      const slot = slotOf(name);
      if (tryAcquireSlot(slot)) return new Handle(name, h, slot, undefined, doLog);
      return acquireSlot(slot, signal, deadline, clock).then(
        () => new Handle(name, h, slot, undefined, doLog),
        (err) => {
          h[Symbol.dispose]();
          throw err;
        },
      );
    });
  }
  return acquireSlow(name, o, doLog, mutex, held, shared, path);
}

async function acquireSlow(
  name: string,
  o: LockOptions,
  doLog: boolean,
  mutex: Mutex,
  first: Disposable | undefined,
  shared: boolean,
  path: string | undefined,
  fileLock?: FileLockImpl,
): Promise<LockHandle> {
  const { signal, clock = systemClock } = o;
  const blocking = o.blocking !== false;
  const deadline = deadlineOf(o.timeout, clock, `lock "${name}"`);
  let held = first;
  if (held === undefined) {
    if (!blocking) throw new AcquireLockFailedError(name);
    held = await acquireWithDeadline(mutex, signal, deadline, clock);
  }
  if (doLog) getLogger().debug(`Acquired lock "${name}"`);
  let slot = -1;
  try {
    if (shared) {
      const s = slotOf(name);
      if (!blocking) {
        if (!tryAcquireSlot(s)) throw new AcquireLockFailedError(name);
      } else {
        await acquireSlot(s, signal, deadline, clock);
      }
      slot = s;
    }
    let file: FileLockImpl | undefined;
    if (path !== undefined) {
      file = fileLock ?? new FileLockImpl(path, resolveMode(o.fileLockMode));
      if (!await file.acquireUntil(blocking, signal, deadline, clock)) {
        throw new AcquireLockFailedError(name);
      }
      if (doLog) getLogger().debug(`Acquired external semaphore "${name}"`);
    }
    return new Handle(name, held, slot, file, doLog);
  } catch (err) {
    fileLock?.releaseSync();
    if (slot >= 0) releaseSlot(slot);
    held[Symbol.dispose]();
    throw err;
  }
}
