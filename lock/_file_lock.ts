// The advisory file lock behind external locks, in either file lock mode (`_lock_file.ts`:
// "flock" = Deno.FsFile.lock, "fcntl" = record locks over FFI, `_raw_lock_file.ts`).
//
// Each isolate keeps at most one open file per lock path: a per-path in-process FIFO mutex is
// taken first and only its holder opens the file (oslo's "in-process lock first"; it also means
// waiters inside a process queue fairly instead of all polling the file).
//
// Waiting: one non-blocking try first (the uncontended cost is one syscall). If that fails:
//  - no timeout and no signal: the kernel-blocking wait, on a thread of Deno's blocking pool,
//    not the event loop; the kernel wakes it the moment the holder unlocks or dies. It cannot
//    be cancelled (closing the file does not interrupt it), so it is only used when the caller
//    cannot give up.
//  - with timeout or signal: poll tryLock with oslo's backoff (attempt n sleeps
//    min(n * 10 ms, 100 ms), never past the deadline), sleeping on the caller's Clock so abort
//    and timeout take effect at once.

import { type Clock, systemClock } from "../runtime/clock.ts";
import { checkClock } from "../runtime/_check_clock.ts";
import {
  checkBooleanOption,
  checkOptionsObject,
  checkSignalOption,
} from "../runtime/_check_options.ts";
import { checkNumber } from "../runtime/_check_number.ts";
import { type LockFile, openLockFile } from "./_lock_file.ts";
import type { FileLock, FileLockAcquireOptions, FileLockMode } from "./file_lock.ts";
import { acquireWithDeadline, type Deadline, deadlineOf, msLeft } from "./_mutex.ts";
import type { Mutex } from "./_mutex.ts";
import { Semaphores } from "./semaphores.ts";

const POLL_DELAY_MS = 10;
const POLL_MAX_DELAY_MS = 100;

/**
 * In-process exclusion per lock file path: every user of a lock file in this isolate (a FileLock,
 * or lock()'s fast path, which takes it without one) holds the path's mutex first.
 */
export const pathMutexes: Semaphores = new Semaphores();

// Closes `file` (dropping its lock, if any) and frees the in-process path lock.
function giveBack(file: LockFile | undefined, held: Disposable): void {
  try {
    file?.close();
  } finally {
    held[Symbol.dispose]();
  }
}

/** Throws for a bad `timeout` option: a TypeError for a non-number, a RangeError for NaN or < 0. */
export function checkTimeout(timeout: unknown): asserts timeout is number | undefined {
  if (timeout === undefined) return;
  checkNumber(timeout, "acquire lock", "timeout", "a number >= 0", (n) => n >= 0);
}

/** The FileLock implementation. */
export class FileLockImpl implements FileLock {
  readonly path: string;
  readonly mode: FileLockMode;
  #file: LockFile | undefined = undefined;
  #held: Disposable | undefined = undefined;
  #pending: { file: LockFile; held: Disposable } | undefined = undefined;

  constructor(path: string, mode: FileLockMode) {
    this.path = path;
    this.mode = mode;
  }

  /**
   * A FileLock left by lock()'s synchronous attempt (see `_lock.ts`) when only the file was
   * busy: the path lock held (`held`) and `file` open, so the wait does not reopen it.
   */
  static pending(path: string, mode: FileLockMode, file: LockFile, held: Disposable): FileLockImpl {
    const lock = new FileLockImpl(path, mode);
    lock.#pending = { file, held };
    return lock;
  }

  /** Holds the in-process lock of `path` without opening the file. */
  static holdPath(path: string): Promise<Disposable> {
    return pathMutexes.get(path).acquire();
  }

  get acquired(): boolean {
    return this.#file !== undefined;
  }

  acquire(o: FileLockAcquireOptions = {}): Promise<boolean> {
    checkOptionsObject(o, "acquire lock", "o");
    // From JavaScript, 0 or "yes" decided by truthiness whether to wait.
    const blocking = checkBooleanOption(o.blocking, "acquire lock", "blocking") ?? true;
    const { signal, timeout, clock = systemClock } = o;
    checkTimeout(timeout);
    checkClock(o.clock, "acquire lock");
    checkSignalOption(signal, "acquire lock");
    return this.acquireUntil(
      blocking,
      signal,
      deadlineOf(timeout, clock, `lock file '${this.path}'`),
      clock,
    );
  }

  /** {@linkcode acquire} with a deadline shared with the caller's other steps (`lock()`). */
  acquireUntil(
    blocking: boolean,
    signal: AbortSignal | undefined,
    deadline: Deadline | undefined,
    clock: Clock,
  ): Promise<boolean> {
    if (this.#held !== undefined) {
      return Promise.reject(
        new DOMException(
          `Cannot acquire lock file '${this.path}' as this FileLock already holds it`,
          "InvalidStateError",
        ),
      );
    }
    if (signal?.aborted) {
      this.#dropPending();
      return Promise.reject(signal.reason);
    }
    const pending = this.#pending;
    if (pending !== undefined) {
      // lock()'s synchronous attempt left the path lock held and the file open: wait on it.
      this.#pending = undefined;
      return this.#lockFile(pending.held, blocking, signal, deadline, clock, pending.file);
    }
    const mutex: Mutex = pathMutexes.get(this.path);
    if (!blocking) {
      const held = mutex.tryAcquire();
      if (held === undefined) return Promise.resolve(false);
      return this.#lockFile(held, false, undefined, undefined, clock);
    }
    return acquireWithDeadline(mutex, signal, deadline, clock).then((held) =>
      this.#lockFile(held, true, signal, deadline, clock)
    );
  }

  // Opens the lock file (unless `opened`) and tries to lock it once: `undefined` once held, else
  // the open file. On an error the file is closed and `held` freed.
  #openAndTry(held: Disposable, opened?: LockFile): LockFile | undefined {
    let file = opened;
    try {
      file ??= openLockFile(this.path, this.mode);
      if (!file.tryLock()) return file;
    } catch (err) {
      giveBack(file, held);
      throw err;
    }
    this.#file = file;
    this.#held = held;
    return undefined;
  }

  // Not an async function: the time from the kernel's grant to the caller's continuation is
  // time the lock is held but unused, so the grant reaches the caller in one callback.
  #lockFile(
    held: Disposable,
    blocking: boolean,
    signal: AbortSignal | undefined,
    deadline: Deadline | undefined,
    clock: Clock,
    opened?: LockFile,
  ): Promise<boolean> {
    let file: LockFile | undefined;
    let wait: Promise<void>;
    try {
      file = this.#openAndTry(held, opened);
      if (file === undefined) return Promise.resolve(true);
      try {
        if (!blocking) {
          giveBack(file, held);
          return Promise.resolve(false);
        }
        wait = signal === undefined && deadline === undefined && file.canBlock
          ? file.lock()
          : this.#poll(file, signal, deadline, clock);
      } catch (err) {
        giveBack(file, held);
        throw err;
      }
    } catch (err) {
      return Promise.reject(err);
    }
    const lockFile = file;
    return wait.then(() => {
      this.#file = lockFile;
      this.#held = held;
      return true;
    }, (err) => {
      giveBack(lockFile, held);
      throw err;
    });
  }

  async #poll(
    file: LockFile,
    signal: AbortSignal | undefined,
    deadline: Deadline | undefined,
    clock: Clock,
  ): Promise<void> {
    for (let attempt = 1;; attempt++) {
      let delay = Math.min(attempt * POLL_DELAY_MS, POLL_MAX_DELAY_MS);
      if (deadline !== undefined) delay = Math.min(delay, msLeft(deadline, clock));
      await clock.sleep(delay, signal === undefined ? undefined : { signal });
      if (file.tryLock()) return;
    }
  }

  release(): Promise<void> {
    try {
      this.releaseSync();
    } catch (err) {
      return Promise.reject(err);
    }
    return Promise.resolve();
  }

  /**
   * Frees the in-process path lock, then unlocks and gives back the file (the unlock last); a
   * no-op when not held.
   */
  releaseSync(): void {
    if (this.#pending !== undefined) this.#dropPending();
    const file = this.#file;
    const held = this.#held;
    if (file === undefined || held === undefined) return;
    this.#file = undefined;
    this.#held = undefined;
    try {
      held[Symbol.dispose]();
    } finally {
      file.release();
    }
  }

  #dropPending(): void {
    const pending = this.#pending;
    if (pending === undefined) return;
    this.#pending = undefined;
    giveBack(pending.file, pending.held);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }
}
