// lock()'s machinery, shared by lock(), synchronized() and removeExternalLockFile().
//
// Order of acquisition (oslo's): the in-process FIFO mutex for the name, then (threading
// backend) the name's slot in the cross-Worker table, then (external) the lock file, or
// (coordinator, see _coordinated_lock.ts) the distributed lock. Release runs in reverse. The uncontended internal case completes synchronously and returns an already
// resolved promise: no async function frame, no extra microtask turn.

import type { Coordinator } from "../coord/coordinator.ts";
import { systemClock } from "../runtime/clock.ts";
import { checkClock } from "../runtime/_check_clock.ts";
import {
  checkBooleanOption,
  checkConfigOption,
  checkOptionsObject,
  checkSignalOption,
} from "../runtime/_check_options.ts";
import { describeValue } from "../runtime/_describe.ts";
import { getLogger } from "../runtime/logger.ts";
import { writesDebug } from "../runtime/_debug_drop.ts";
import { selectedBackendType } from "../runtime/selection.ts";
import { isFjordWorker } from "../runtime/_fjord_worker.ts";
import { checkTimeout, FileLockImpl, pathMutexes } from "./_file_lock.ts";
import { checkMode, type LockFile, openLockFile, resolveMode } from "./_lock_file.ts";
import type { LockHandle, LockOptions } from "./lock.ts";
import { checkName, lockFilePath, processLockingDisabled } from "./_lock_path.ts";
import {
  acquireWithDeadline,
  adoptHold,
  deadlineOf,
  type Mutex,
  tryLockMutex,
  unlockMutex,
} from "./_mutex.ts";
import { acquireSlot, releaseSlot, slotOf, tryAcquireSlot } from "./_shared_lock_table.ts";
import { AcquireLockFailedError } from "./errors.ts";
import { Semaphores } from "./semaphores.ts";

// Only locks given a coordinator need it: loaded at the first such lock, not at fjord's import.
let coordinatedLock: Promise<typeof import("./_coordinated_lock.ts")> | undefined;

/** The registry lock() uses when no `semaphores` option is given. */
export const defaultSemaphores: Semaphores = new Semaphores();

const RESOLVED: Promise<void> = Promise.resolve();

// Named internal locks engage the cross-Worker table in the threading backend and inside any
// Worker fjord started; the cooperative backend keeps the pure in-isolate path.
function sharedEngaged(): boolean {
  return selectedBackendType() === "threading" || isFjordWorker();
}

// What a handle holds besides the name's in-process lock: nothing, or the file lock (and the
// cross-Worker slot, if any). The uncontended external lock holds the file without a FileLock
// object: the path's in-process mutex and the open LockFile directly, and both mutexes without
// a Releaser (three allocations fewer per acquisition).
class Handle implements LockHandle {
  readonly name: string;
  // The name's mutex, held directly (uncontended paths), or the Releaser of a waited-for hold.
  #mutex: Mutex | undefined;
  #held: Disposable | undefined;
  #slot: number;
  #file: FileLockImpl | undefined;
  #pathMutex: Mutex | undefined;
  #lockFile: LockFile | undefined;
  #log: boolean;

  // One factory per shape (see above): held directly by the uncontended path, or after a wait.
  static direct(
    name: string,
    mutex: Mutex,
    slot: number,
    log: boolean,
    pathMutex?: Mutex,
    lockFile?: LockFile,
  ): Handle {
    return new Handle(name, mutex, undefined, slot, undefined, pathMutex, lockFile, log);
  }

  static waited(
    name: string,
    held: Disposable,
    slot: number,
    log: boolean,
    file?: FileLockImpl,
  ): Handle {
    return new Handle(name, undefined, held, slot, file, undefined, undefined, log);
  }

  private constructor(
    name: string,
    mutex: Mutex | undefined,
    held: Disposable | undefined,
    slot: number,
    file: FileLockImpl | undefined,
    pathMutex: Mutex | undefined,
    lockFile: LockFile | undefined,
    log: boolean,
  ) {
    this.name = name;
    this.#mutex = mutex;
    this.#held = held;
    this.#slot = slot;
    this.#file = file;
    this.#pathMutex = pathMutex;
    this.#lockFile = lockFile;
    this.#log = log;
  }

  release(): Promise<void> {
    try {
      this.#release();
    } catch (err) {
      return Promise.reject(err);
    }
    return RESOLVED;
  }

  // Releasing never waits, so the handle is also synchronously disposable (`using`).
  [Symbol.dispose](): void {
    this.#release();
  }

  #release(): void {
    const mutex = this.#mutex;
    const held = this.#held;
    if (mutex === undefined && held === undefined) return;
    this.#mutex = undefined;
    this.#held = undefined;
    if (this.#log) getLogger().debug(`Releasing lock "${this.name}"`);
    // The in-process locks first: a local waiter only runs in a later microtask, after this.
    // Then the file, its unlock as late as possible: the shorter the time from unlocking to
    // this process's next attempt, the fewer hand-offs between processes, each of which costs
    // a kernel wake-up of the waiter. The cross-Worker slot last: a Worker granted it runs at
    // once, in parallel, and must find the file unlocked.
    if (mutex !== undefined) unlockMutex(mutex);
    else held![Symbol.dispose]();
    const lockFile = this.#lockFile;
    try {
      if (lockFile !== undefined) {
        this.#lockFile = undefined;
        unlockMutex(this.#pathMutex!);
        lockFile.release();
      } else {
        this.#file?.releaseSync();
      }
    } finally {
      if (this.#slot >= 0) releaseSlot(this.#slot);
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }
}

function checkOptions(o: LockOptions, what: string): void {
  // `o` defaults to {} in every caller, so undefined never arrives here.
  checkOptionsObject(o, what, "o");
  checkTimeout(o.timeout);
  checkClock(o.clock, what);
  checkMode(o.fileLockMode, what);
  // From JavaScript, "no" would count as true and "yes" as false for `external`: said instead.
  checkBooleanOption(o.external, what, "external");
  checkBooleanOption(o.fair, what, "fair");
  checkBooleanOption(o.blocking, what, "blocking");
  if (o.semaphores !== undefined && !(o.semaphores instanceof Semaphores)) {
    throw new TypeError(
      `Cannot ${what} as 'semaphores' must be a Semaphores instance: current value is ${
        describeValue(o.semaphores)
      }`,
    );
  }
  checkSignalOption(o.signal, what);
  checkConfigOption(o.conf, what);
  if (o.coordinator !== undefined) checkCoordinator(o, what);
}

// Apart: only calls with a coordinator compile it.
function checkCoordinator(o: LockOptions, what: string): void {
  const c = o.coordinator as unknown;
  const shape = c as { lock?: unknown; tryLock?: unknown } | null;
  if (
    shape === null || typeof shape !== "object" || typeof shape.lock !== "function" ||
    typeof shape.tryLock !== "function"
  ) {
    throw new TypeError(
      `Cannot ${what} as 'coordinator' must be a Coordinator from connect(): current value is ${
        describeValue(c)
      }`,
    );
  }
  if (o.external === true) {
    // The distributed lock already excludes every process on every host; a file lock on top
    // would only add a second order of acquisition to reason about.
    throw new TypeError(
      `Cannot ${what} as 'external' and 'coordinator' exclude each other: choose one`,
    );
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
 *
 * Only the path where everything is free is in this function; each other case is its own
 * function, compiled when first needed: a process's first lock() compiles less (V8 compiles a
 * function on its first call, ~1 ms for a first lock(), more than the rest of 300 together).
 */
export function acquireLock(name: string, o: LockOptions, doLog: boolean): Promise<LockHandle> {
  checkName(name, "lock");
  checkOptions(o, "lock");
  if (o.coordinator !== undefined) return lockCoordinated(name, o, o.coordinator, doLog);
  const external = o.external === true && !processLockingDisabled(o.conf);
  const path = external ? lockFilePath(name, o.lockFilePrefix, o.lockPath, o.conf) : undefined;
  const signal = o.signal;
  if (signal?.aborted) return Promise.reject(signal.reason);
  const mutex = (o.semaphores ?? defaultSemaphores).get(name);
  // Four debug lines per acquisition cost more than the rest of it while code is still cold:
  // none is built when the logger drops them.
  doLog &&= writesDebug(getLogger());
  if (doLog) getLogger().debug(`Acquiring lock "${name}"`);
  const shared = sharedEngaged();
  if (!tryLockMutex(mutex)) return acquireBusy(name, o, doLog, mutex, shared, path);
  // Everything free right now: complete synchronously, no async frame, no extra turn.
  const slot = shared ? slotOf(name) : -1;
  if (slot >= 0 && !tryAcquireSlot(slot)) {
    // The slot is busy: the slow path waits for it, keeping the in-process lock.
    return acquireSlow(name, o, doLog, mutex, adoptHold(mutex), shared, path);
  }
  if (path === undefined) {
    if (doLog) getLogger().debug(`Acquired lock "${name}"`);
    return Promise.resolve(Handle.direct(name, mutex, slot, doLog));
  }
  // The file: the path's in-process mutex (each isolate has at most one user of a lock file),
  // then one non-blocking lock of its (usually cached, already open) file.
  const mode = resolveMode(o.fileLockMode);
  const pathMutex = pathMutexes.get(path);
  if (!tryLockMutex(pathMutex)) {
    // Held by another user in this process (a FileLock, or a name with the same file).
    return waitForPath(name, o, doLog, mutex, slot, shared, new FileLockImpl(path, mode));
  }
  let lockFile: LockFile | undefined;
  let ok: boolean;
  try {
    lockFile = openLockFile(path, mode);
    ok = lockFile.tryLock();
  } catch (err) {
    return undoFast(err, mutex, slot, pathMutex, lockFile);
  }
  if (!ok) {
    // Busy: the wait goes on with this open file and the path lock.
    const file = FileLockImpl.pending(path, mode, lockFile, adoptHold(pathMutex));
    return waitForPath(name, o, doLog, mutex, slot, shared, file);
  }
  if (doLog) {
    getLogger().debug(`Acquired lock "${name}"`);
    getLogger().debug(`Acquired external semaphore "${name}"`);
  }
  return Promise.resolve(Handle.direct(name, mutex, slot, doLog, pathMutex, lockFile));
}

function lockCoordinated(
  name: string,
  o: LockOptions,
  coordinator: Coordinator,
  doLog: boolean,
): Promise<LockHandle> {
  if (o.signal?.aborted) return Promise.reject(o.signal.reason);
  return (coordinatedLock ??= import("./_coordinated_lock.ts")).then(({ acquireCoordinated }) =>
    acquireCoordinated(
      name,
      o,
      coordinator,
      doLog,
      (local) => acquireLock(name, local, doLog),
    )
  );
}

// The synchronous attempt failed on opening or locking the file: free what it held.
function undoFast(
  err: unknown,
  mutex: Mutex,
  slot: number,
  pathMutex: Mutex,
  lockFile: LockFile | undefined,
): Promise<never> {
  try {
    lockFile?.close();
  } finally {
    unlockMutex(pathMutex);
    if (slot >= 0) releaseSlot(slot);
    unlockMutex(mutex);
  }
  return Promise.reject(err);
}

// The in-process lock is held but the file (or its path lock) is not: wait for it, keeping the
// in-process lock; a cross-Worker slot is given back while waiting (the slow path retakes it).
function waitForPath(
  name: string,
  o: LockOptions,
  doLog: boolean,
  mutex: Mutex,
  slot: number,
  shared: boolean,
  file: FileLockImpl,
): Promise<LockHandle> {
  if (slot < 0) return waitForFile(name, o, doLog, adoptHold(mutex), file);
  releaseSlot(slot);
  return acquireSlow(name, o, doLog, mutex, adoptHold(mutex), shared, file.path, file);
}

// The name's in-process lock is held by someone else in this isolate.
function acquireBusy(
  name: string,
  o: LockOptions,
  doLog: boolean,
  mutex: Mutex,
  shared: boolean,
  path: string | undefined,
): Promise<LockHandle> {
  if (path !== undefined || o.blocking === false) {
    return acquireSlow(name, o, doLog, mutex, undefined, shared, path);
  }
  // Contended internal lock: wait for the mutex without an async frame; the cross-Worker slot
  // is usually free by the time the previous local holder hands the mutex over.
  const signal = o.signal;
  const clock = o.clock ?? systemClock;
  const deadline = deadlineOf(o.timeout, clock, `lock "${name}"`);
  return acquireWithDeadline(mutex, signal, deadline, clock).then((h) => {
    if (doLog) getLogger().debug(`Acquired lock "${name}"`);
    if (!shared) return internalHandle(name, h, -1, doLog);
    const slot = slotOf(name);
    if (tryAcquireSlot(slot)) return internalHandle(name, h, slot, doLog);
    return acquireSlot(slot, signal, deadline, clock).then(
      () => internalHandle(name, h, slot, doLog),
      (err) => {
        h[Symbol.dispose]();
        throw err;
      },
    );
  });
}

function internalHandle(name: string, held: Disposable, slot: number, doLog: boolean): Handle {
  return Handle.waited(name, held, slot, doLog);
}

// Only the file was busy (the in-process lock is held, no cross-Worker slot): the file's wait,
// then the handle, in one callback (see FileLockImpl's #lockFile).
function waitForFile(
  name: string,
  o: LockOptions,
  doLog: boolean,
  held: Disposable,
  file: FileLockImpl,
): Promise<LockHandle> {
  const clock = o.clock ?? systemClock;
  const deadline = deadlineOf(o.timeout, clock, `lock "${name}"`);
  const giveUp = (err: unknown): never => {
    try {
      file.releaseSync();
    } finally {
      held[Symbol.dispose]();
    }
    throw err;
  };
  return file.acquireUntil(o.blocking !== false, o.signal, deadline, clock).then((ok) => {
    try {
      if (!ok) throw new AcquireLockFailedError(name);
      if (doLog) {
        getLogger().debug(`Acquired lock "${name}"`);
        getLogger().debug(`Acquired external semaphore "${name}"`);
      }
      return Handle.waited(name, held, -1, doLog, file);
    } catch (err) {
      return giveUp(err);
    }
  }, giveUp);
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
    return Handle.waited(name, held, slot, doLog, file);
  } catch (err) {
    fileLock?.releaseSync();
    if (slot >= 0) releaseSlot(slot);
    held[Symbol.dispose]();
    throw err;
  }
}
