// The FIFO async mutex, with the private hook the rest of lock/ needs (waits that also honour a
// deadline). `mutex.ts` re-exports only the public class.

import { checkOptionsObject, checkSignalOption } from "../runtime/_check_options.ts";
import { type Clock, systemClock } from "../runtime/clock.ts";
import { type Deadline, deadlineOf, timeoutError } from "./_give_up.ts";
import { checkClock } from "../runtime/_check_clock.ts";
import { checkNumber } from "../runtime/_check_number.ts";
import { type Waiter, WaitQueue } from "./_wait_queue.ts";

export { armGiveUp, type Deadline, deadlineOf, msLeft, timeoutError } from "./_give_up.ts";

interface MutexWaiter extends Waiter {
  resolve: (value: Disposable) => void;
}

// Module-private accessor, set in Mutex's static block, so `Releaser` can reach the mutex's
// private state without exposing it.
let releaseMutex: (m: Mutex) => void;

/**
 * Takes `m` if it is free right now, without a `Releaser`: the caller owns the hold and must
 * free it exactly once with {@linkcode unlockMutex} (lock()'s handle, which releases once, does;
 * one allocation less per acquisition on its hot path).
 */
export let tryLockMutex: (m: Mutex) => boolean;

/** Frees a hold taken with {@linkcode tryLockMutex} (hands the mutex to the next waiter). */
export let unlockMutex: (m: Mutex) => void;

/** A `Disposable` that frees a hold taken with {@linkcode tryLockMutex}, for code that waits on. */
export function adoptHold(m: Mutex): Disposable {
  return new Releaser(m);
}

/**
 * Acquires `m`, giving up when `signal` aborts or `deadline` passes on `clock` (rejecting with
 * the deadline's TimeoutError).
 */
export let acquireWithDeadline: (
  m: Mutex,
  signal: AbortSignal | undefined,
  deadline: Deadline | undefined,
  clock: Clock,
) => Promise<Disposable>;

// One per acquisition: the disposable releases exactly once, so a stale holder calling dispose
// twice can never release somebody else's hold.
class Releaser implements Disposable {
  #mutex: Mutex | undefined;
  constructor(mutex: Mutex) {
    this.#mutex = mutex;
  }
  [Symbol.dispose](): void {
    const m = this.#mutex;
    if (m === undefined) return;
    this.#mutex = undefined;
    releaseMutex(m);
  }
}

/**
 * Options for {@linkcode Mutex.acquire}.
 *
 * @example
 * ```ts
 * import { Mutex, type MutexAcquireOptions } from "@fjord/fjord/lock";
 * import assert from "node:assert/strict";
 *
 * const mutex = new Mutex();
 * using _held = await mutex.acquire();
 * const options: MutexAcquireOptions = { timeout: 10 };
 * await assert.rejects(mutex.acquire(options), { name: "TimeoutError" });
 * ```
 */
export interface MutexAcquireOptions {
  /** Gives up waiting: rejects with `signal.reason`, nothing stays held or queued. */
  signal?: AbortSignal;
  /** Gives up after this many milliseconds with a `TimeoutError` DOMException. */
  timeout?: number;
  /** The clock `timeout` is measured on. Default `systemClock`. */
  clock?: Clock;
}

/**
 * A FIFO mutual-exclusion lock for async code: waiters are granted the lock strictly in arrival
 * order, directly handed over on release (no barging). Not re-entrant: acquiring it again while
 * holding it waits forever, unless the wait is given a `signal`.
 *
 * Each acquisition returns its own `Disposable`; disposing it releases the lock once (a second
 * dispose is a no-op), so `using` releases on every exit path.
 *
 * @example
 * ```ts
 * import { Mutex } from "@fjord/fjord/lock";
 * import assert from "node:assert/strict";
 *
 * const mutex = new Mutex();
 * let counter = 0;
 * async function increment(): Promise<void> {
 *   using _held = await mutex.acquire();
 *   const v = counter;
 *   await Promise.resolve();
 *   counter = v + 1;
 * }
 * await Promise.all([increment(), increment(), increment()]);
 * assert.equal(counter, 3);
 * assert.equal(mutex.locked, false);
 * ```
 */
export class Mutex {
  #locked = false;
  #queue = new WaitQueue<MutexWaiter>();

  static {
    // The release itself (not a call to a method doing it): every lock's release runs it.
    unlockMutex = releaseMutex = (m) => {
      const w = m.#queue.head;
      if (w === undefined) {
        m.#locked = false;
        return;
      }
      // Hand over directly: the mutex stays locked, so nobody can barge in between.
      m.#queue.remove(w);
      w.resolve(new Releaser(m));
    };
  }

  /** Creates an unlocked mutex. */
  constructor() {}

  /**
   * Whether the mutex is held.
   *
   * @example
   * ```ts
   * import { Mutex } from "@fjord/fjord/lock";
   * import assert from "node:assert/strict";
   *
   * const mutex = new Mutex();
   * const held = await mutex.acquire();
   * assert.equal(mutex.locked, true);
   * held[Symbol.dispose]();
   * assert.equal(mutex.locked, false);
   * ```
   */
  get locked(): boolean {
    return this.#locked;
  }

  /**
   * How many acquirers are queued (not counting the holder).
   *
   * @example
   * ```ts
   * import { Mutex } from "@fjord/fjord/lock";
   * import assert from "node:assert/strict";
   *
   * const mutex = new Mutex();
   * const held = mutex.tryAcquire()!;
   * const next = mutex.acquire();
   * assert.equal(mutex.waiting, 1);
   * held[Symbol.dispose]();
   * (await next)[Symbol.dispose]();
   * assert.equal(mutex.waiting, 0);
   * ```
   */
  get waiting(): number {
    return this.#queue.size;
  }

  /**
   * Acquires the mutex, waiting in FIFO order while it is held.
   *
   * @param options `signal` gives up the wait: the promise rejects with `signal.reason` and the
   *   waiter leaves the queue (nothing stays held or queued); `timeout` (ms, on `clock`) does
   *   the same with a `TimeoutError` DOMException.
   * @returns A promise of a `Disposable` whose disposal releases the mutex.
   * @throws {unknown} `signal.reason` (through the promise) when the signal aborts first.
   * @throws {TypeError} When `signal` is not an AbortSignal, `timeout` not a number or `clock`
   *   not a Clock.
   * @throws {RangeError} When `timeout` is negative or NaN.
   *
   * @example
   * ```ts
   * import { Mutex } from "@fjord/fjord/lock";
   * import assert from "node:assert/strict";
   *
   * const mutex = new Mutex();
   * {
   *   using _held = await mutex.acquire();
   *   assert.equal(mutex.locked, true);
   * }
   * assert.equal(mutex.locked, false);
   * ```
   */
  acquire(options?: MutexAcquireOptions): Promise<Disposable> {
    if (options === undefined) {
      // The common call, kept as short as it was before options (W3's uncontended path).
      if (!this.#locked) {
        this.#locked = true;
        return Promise.resolve(new Releaser(this));
      }
      return this.#enqueue(undefined, undefined, systemClock);
    }
    checkOptionsObject(options, "acquire mutex");
    const signal = options.signal;
    checkSignalOption(signal, "acquire mutex");
    // ReaderWriterLock and lock() honour a timeout: a Mutex ignoring one waited for ever.
    const timeout = options.timeout;
    if (timeout !== undefined) {
      checkNumber(timeout, "acquire mutex", "timeout", "a number >= 0", (n) => n >= 0);
    }
    checkClock(options.clock, "acquire mutex");
    const clock = options.clock ?? systemClock;
    return acquireWithDeadline(this, signal, deadlineOf(timeout, clock, "mutex"), clock);
  }

  /**
   * Acquires the mutex only if it is free right now.
   *
   * @returns A `Disposable` releasing the mutex, or `undefined` when it is held.
   *
   * @example
   * ```ts
   * import { Mutex } from "@fjord/fjord/lock";
   * import assert from "node:assert/strict";
   *
   * const mutex = new Mutex();
   * const held = mutex.tryAcquire();
   * assert.ok(held);
   * assert.equal(mutex.tryAcquire(), undefined);
   * held[Symbol.dispose]();
   * ```
   */
  tryAcquire(): Disposable | undefined {
    if (this.#locked) return undefined;
    this.#locked = true;
    return new Releaser(this);
  }

  // Waits in the queue until granted, `signal` aborts or `deadline` passes on `clock`.
  #enqueue(
    signal: AbortSignal | undefined,
    deadline: Deadline | undefined,
    clock: Clock,
  ): Promise<Disposable> {
    return new Promise<Disposable>((resolve, reject) => {
      const waiter: MutexWaiter = { resolve, next: undefined, prev: undefined, cleanup: undefined };
      this.#queue.push(waiter, signal, deadline, clock, reject);
    });
  }

  static {
    tryLockMutex = (m) => {
      if (m.#locked) return false;
      m.#locked = true;
      return true;
    };
    acquireWithDeadline = (m, signal, deadline, clock) => {
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (!m.#locked) {
        m.#locked = true;
        return Promise.resolve(new Releaser(m));
      }
      if (deadline !== undefined && deadline.at <= clock.now()) {
        return Promise.reject(timeoutError(deadline.what, deadline.timeout));
      }
      return m.#enqueue(signal, deadline, clock);
    };
  }
}
