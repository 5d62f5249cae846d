import type { Clock } from "../runtime/clock.ts";
import { checkClock } from "../runtime/_check_clock.ts";
import { checkOptionsObject, checkSignalOption } from "../runtime/_check_options.ts";
import { systemClock } from "../runtime/clock.ts";
import { checkTimeout } from "./_file_lock.ts";
import { deadlineOf, timeoutError } from "./_give_up.ts";
import { type Waiter, WaitQueue } from "./_wait_queue.ts";

/**
 * Options for {@linkcode ReaderWriterLock.readLock} and {@linkcode ReaderWriterLock.writeLock}.
 *
 * @example
 * ```ts
 * import { ReaderWriterLock, type ReaderWriterLockOptions } from "@fjord/fjord/lock";
 * import assert from "node:assert/strict";
 *
 * const rw = new ReaderWriterLock();
 * const options: ReaderWriterLockOptions = { timeout: 1_000 };
 * using _r = await rw.readLock(options);
 * assert.equal(rw.readers, 1);
 * ```
 */
export interface ReaderWriterLockOptions {
  /** Gives up waiting: rejects with `signal.reason`, nothing stays held or queued. */
  signal?: AbortSignal;
  /** Gives up after this many milliseconds with a `TimeoutError` DOMException. */
  timeout?: number;
  /** The clock `timeout` is measured on. Default `systemClock`. */
  clock?: Clock;
}

interface Request extends Waiter {
  write: boolean;
  grant: () => void;
}

class Release implements Disposable {
  #fn: (() => void) | undefined;
  constructor(fn: () => void) {
    this.#fn = fn;
  }
  [Symbol.dispose](): void {
    const fn = this.#fn;
    this.#fn = undefined;
    fn?.();
  }
}

/**
 * A FIFO readers-writer lock (oslo's `ReaderWriterLock`, fasteners'): many readers or one
 * writer. Requests are granted in arrival order; a reader arriving after a queued writer waits
 * behind it, so writers never starve. Not re-entrant, and a reader cannot upgrade to a writer
 * (it would wait for itself).
 *
 * @example
 * ```ts
 * import { ReaderWriterLock } from "@fjord/fjord/lock";
 * import assert from "node:assert/strict";
 *
 * const rw = new ReaderWriterLock();
 * const r1 = await rw.readLock();
 * const r2 = await rw.readLock();
 * assert.equal(rw.readers, 2);
 * const writing = rw.writeLock();
 * r1[Symbol.dispose]();
 * r2[Symbol.dispose]();
 * using _w = await writing;
 * assert.equal(rw.writing, true);
 * ```
 */
export class ReaderWriterLock {
  #readers = 0;
  #writer = false;
  #queue = new WaitQueue<Request>();

  /** Creates an unlocked readers-writer lock. */
  constructor() {}

  /**
   * How many readers hold the lock.
   *
   * @example
   * ```ts
   * import { ReaderWriterLock } from "@fjord/fjord/lock";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new ReaderWriterLock().readers, 0);
   * ```
   */
  get readers(): number {
    return this.#readers;
  }

  /**
   * Whether a writer holds the lock.
   *
   * @example
   * ```ts
   * import { ReaderWriterLock } from "@fjord/fjord/lock";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new ReaderWriterLock().writing, false);
   * ```
   */
  get writing(): boolean {
    return this.#writer;
  }

  /**
   * How many requests wait.
   *
   * @example
   * ```ts
   * import { ReaderWriterLock } from "@fjord/fjord/lock";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new ReaderWriterLock().waiting, 0);
   * ```
   */
  get waiting(): number {
    return this.#queue.size;
  }

  /**
   * Acquires shared (read) access.
   *
   * @param o `signal`, `timeout` (ms), `clock`.
   * @returns A promise of a `Disposable` releasing this read hold once.
   * @throws {RangeError} When `timeout` is negative or NaN.
   * @throws {TypeError} When `timeout` is not a number.
   * @throws {unknown} (through the promise) `signal.reason`, or a `TimeoutError` DOMException.
   *
   * @example
   * ```ts
   * import { ReaderWriterLock } from "@fjord/fjord/lock";
   * import assert from "node:assert/strict";
   *
   * const rw = new ReaderWriterLock();
   * {
   *   using _r = await rw.readLock();
   *   assert.equal(rw.readers, 1);
   * }
   * assert.equal(rw.readers, 0);
   * ```
   */
  readLock(o?: ReaderWriterLockOptions): Promise<Disposable> {
    return this.#request(false, o ?? {});
  }

  /**
   * Acquires exclusive (write) access.
   *
   * @param o `signal`, `timeout` (ms), `clock`.
   * @returns A promise of a `Disposable` releasing the write hold once.
   * @throws {RangeError} When `timeout` is negative or NaN.
   * @throws {TypeError} When `timeout` is not a number.
   * @throws {unknown} (through the promise) `signal.reason`, or a `TimeoutError` DOMException.
   *
   * @example
   * ```ts
   * import { ReaderWriterLock } from "@fjord/fjord/lock";
   * import assert from "node:assert/strict";
   *
   * const rw = new ReaderWriterLock();
   * using _w = await rw.writeLock();
   * await assert.rejects(rw.readLock({ timeout: 0 }), { name: "TimeoutError" });
   * ```
   */
  writeLock(o?: ReaderWriterLockOptions): Promise<Disposable> {
    return this.#request(true, o ?? {});
  }

  #free(write: boolean): boolean {
    return write ? !this.#writer && this.#readers === 0 : !this.#writer;
  }

  #hold(write: boolean): Disposable {
    if (write) this.#writer = true;
    else this.#readers++;
    return new Release(() => {
      if (write) this.#writer = false;
      else this.#readers--;
      this.#drain();
    });
  }

  #request(write: boolean, o: ReaderWriterLockOptions): Promise<Disposable> {
    checkOptionsObject(o, "acquire lock", "o");
    const { signal, timeout, clock = systemClock } = o;
    checkTimeout(timeout);
    checkClock(o.clock, "acquire lock");
    checkSignalOption(signal, "acquire lock");
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#queue.size === 0 && this.#free(write)) {
      return Promise.resolve(this.#hold(write));
    }
    const what = write ? "write lock" : "read lock";
    if (timeout !== undefined && timeout <= 0) return Promise.reject(timeoutError(what, timeout));
    const deadline = deadlineOf(timeout, clock, what);
    return new Promise<Disposable>((resolve, reject) => {
      const req: Request = {
        write,
        grant: () => resolve(this.#hold(write)),
        next: undefined,
        prev: undefined,
        cleanup: undefined,
      };
      this.#queue.push(req, signal, deadline, clock, (reason) => {
        reject(reason);
        // A writer leaving the head may let the readers behind it in.
        this.#drain();
      });
    });
  }

  #drain(): void {
    for (let r = this.#queue.head; r !== undefined; r = this.#queue.head) {
      if (!this.#free(r.write)) return;
      this.#queue.remove(r);
      r.grant();
      if (r.write) return;
    }
  }
}
