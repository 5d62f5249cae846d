/**
 * The time seam: every timed fjord API reads time and sleeps through a {@linkcode Clock}.
 *
 * @module
 */

import { checkNumber } from "./_check_number.ts";
import { checkSignalOption } from "./_check_options.ts";

/**
 * Options for {@linkcode Clock.sleep}.
 *
 * @example Aborting a sleep
 * ```ts
 * import { FakeClock, type SleepOptions } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * using clock = new FakeClock();
 * const controller = new AbortController();
 * const options: SleepOptions = { signal: controller.signal };
 * const slept = clock.sleep(1000, options);
 * controller.abort();
 * await assert.rejects(slept, { name: "AbortError" });
 * assert.equal(clock.pending, 0);
 * ```
 */
export interface SleepOptions {
  /** Aborting rejects the sleep with `signal.reason` and cancels its timer. */
  signal?: AbortSignal;
}

/**
 * A source of monotonic time in milliseconds, and sleeps measured against it.
 *
 * @example Passing a clock to a timed API
 * ```ts
 * import { type Clock, FakeClock, FixedIntervalLoopingCall, systemClock } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * function elapsedSince(start: number, clock: Clock = systemClock): number {
 *   return clock.now() - start;
 * }
 * using clock = new FakeClock();
 * let calls = 0;
 * const call = new FixedIntervalLoopingCall(() => void calls++, { clock }).start({ interval: 100 });
 * await clock.tickAsync(250);
 * call.stop();
 * await clock.runAll();
 * await call.wait();
 * assert.equal(calls, 3); // at 0, 100 and 200 ms
 * assert.equal(elapsedSince(0, clock), 250);
 * ```
 */
export interface Clock {
  /** The current time in milliseconds (monotonic; only differences are meaningful). */
  now(): number;
  /**
   * Resolves once `ms` milliseconds have passed; `ms <= 0` resolves at once.
   * Rejects with `signal.reason` when the signal aborts first.
   */
  sleep(ms: number, options?: SleepOptions): Promise<void>;
}

// What every Clock's sleep() does before it waits: validate `ms`, then settle at once when the
// signal is already aborted or there is nothing to wait for (undefined: the caller must wait).
function settleAtOnce(ms: number, signal: AbortSignal | undefined): Promise<void> | undefined {
  checkNumber(ms, "sleep", "ms", "a number other than NaN", (n) => !Number.isNaN(n));
  checkSignalOption(signal, "sleep");
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return undefined;
}

// setTimeout clamps delays above 2^31-1 ms to 1 ms; chain shorter timers instead.
const MAX_TIMER_MS = 0x7fffffff;

/**
 * The real clock: `performance.now()` and `setTimeout`.
 *
 * @example
 * ```ts
 * import { systemClock } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * const start = systemClock.now();
 * await systemClock.sleep(5);
 * assert.ok(systemClock.now() - start >= 4);
 * ```
 */
export const systemClock: Clock = Object.freeze({
  now(): number {
    return performance.now();
  },
  sleep(ms: number, options: SleepOptions = {}): Promise<void> {
    const { signal } = options;
    const settled = settleAtOnce(ms, signal);
    if (settled !== undefined) return settled;
    return new Promise<void>((resolve, reject) => {
      const due = performance.now() + ms;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const arm = (): void => {
        const left = due - performance.now();
        if (left <= 0) {
          signal?.removeEventListener("abort", onAbort);
          resolve();
          return;
        }
        timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      timer = setTimeout(arm, Math.min(ms, MAX_TIMER_MS));
    });
  },
});

interface Sleeper {
  due: number;
  seq: number;
  resolve: () => void;
  detach: () => void;
}

/**
 * A clock whose time moves only when told to, for deterministic tests of timed code.
 *
 * Sleepers fire in order of due time, then of the order they started sleeping.
 * `tick()` fires synchronously (callbacks run later, as microtasks); `tickAsync()`, `next()` and
 * `runAll()` let pending promise callbacks run between firings, so a loop that awaits and sleeps
 * again is driven through.
 *
 * @example Driving a sleep
 * ```ts
 * import { FakeClock } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * using clock = new FakeClock();
 * let woke = false;
 * const sleeping = clock.sleep(100).then(() => { woke = true; });
 * await clock.tickAsync(99);
 * assert.equal(woke, false);
 * await clock.tickAsync(1);
 * await sleeping;
 * assert.equal(woke, true);
 * assert.equal(clock.now(), 100);
 * ```
 */
export class FakeClock implements Clock, Disposable {
  #now: number;
  #seq = 0;
  #sleepers: Sleeper[] = [];

  /**
   * Creates a clock stopped at `start`.
   *
   * @param start The initial time in milliseconds.
   * @throws {TypeError} When `start` is not a number.
   * @throws {RangeError} When `start` is not finite.
   */
  constructor(start = 0) {
    checkNumber(start, "create FakeClock", "start", "a finite number", Number.isFinite);
    this.#now = start;
  }

  /**
   * The fake time in milliseconds.
   *
   * @returns The current fake time.
   */
  now(): number {
    return this.#now;
  }

  /** How many sleepers are waiting. */
  get pending(): number {
    return this.#sleepers.length;
  }

  /**
   * Sleeps until the fake time has advanced by `ms` (`ms <= 0` resolves at once).
   *
   * @param ms Milliseconds to sleep.
   * @param options `signal` aborts the sleep (rejects with `signal.reason`).
   * @returns A promise that resolves when the fake time reaches `now() + ms`.
   * @throws {TypeError} When `ms` is not a number.
   * @throws {RangeError} When `ms` is NaN.
   */
  sleep(ms: number, options: SleepOptions = {}): Promise<void> {
    const { signal } = options;
    const settled = settleAtOnce(ms, signal);
    if (settled !== undefined) return settled;
    return new Promise<void>((resolve, reject) => {
      const sleeper: Sleeper = {
        due: this.#now + ms,
        seq: this.#seq++,
        resolve,
        detach: () => signal?.removeEventListener("abort", onAbort),
      };
      const onAbort = (): void => {
        this.#remove(sleeper);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#insert(sleeper);
    });
  }

  /**
   * Advances time by `ms`, firing every sleeper due on the way, synchronously and in order.
   *
   * @param ms Milliseconds to advance (>= 0).
   * @throws {TypeError} When `ms` is not a number.
   * @throws {RangeError} When `ms` is negative or not finite.
   */
  tick(ms: number): void {
    const target = this.#target(ms);
    for (let s = this.#sleepers[0]; s !== undefined && s.due <= target; s = this.#sleepers[0]) {
      this.#fire(s);
    }
    this.#now = target;
  }

  /**
   * Advances time by `ms` like {@linkcode FakeClock.tick}, but lets pending promise callbacks
   * run before and after each firing, so sleepers created on the way fire too when due.
   *
   * @param ms Milliseconds to advance (>= 0).
   * @returns A promise that resolves once time has reached the target.
   * @throws {TypeError} When `ms` is not a number.
   * @throws {RangeError} When `ms` is negative or not finite.
   */
  async tickAsync(ms: number): Promise<void> {
    const target = this.#target(ms);
    await this.runMicrotasks();
    for (let s = this.#sleepers[0]; s !== undefined && s.due <= target; s = this.#sleepers[0]) {
      this.#fire(s);
      await this.runMicrotasks();
    }
    this.#now = target;
    await this.runMicrotasks();
  }

  /**
   * Advances time to the next due sleeper and fires every sleeper due then.
   *
   * @returns `true` when a sleeper fired, `false` when none was pending (time unchanged).
   */
  async next(): Promise<boolean> {
    await this.runMicrotasks();
    const first = this.#sleepers[0];
    if (first === undefined) return false;
    const due = first.due;
    for (let s = this.#sleepers[0]; s !== undefined && s.due <= due; s = this.#sleepers[0]) {
      this.#fire(s);
    }
    this.#now = Math.max(this.#now, due);
    await this.runMicrotasks();
    return true;
  }

  /**
   * Fires sleepers in order until none is pending.
   *
   * @param options `limit`: the most firings before giving up (guards against a loop that
   *   always sleeps again).
   * @returns The number of times {@linkcode FakeClock.next} advanced.
   * @throws {RangeError} When sleepers are still pending after `limit` firings.
   */
  async runAll(options: { limit?: number } = {}): Promise<number> {
    const { limit = 10_000 } = options;
    let steps = 0;
    while (await this.next()) {
      if (++steps >= limit && this.pending > 0) {
        throw new RangeError(
          `Cannot run all sleepers as they kept sleeping after ${limit} firings`,
        );
      }
    }
    return steps;
  }

  /**
   * Lets every promise callback queued so far run (one real macrotask turn).
   *
   * @returns A promise that resolves after the turn.
   */
  runMicrotasks(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, 0));
  }

  /**
   * Drops every pending sleeper (they never settle).
   *
   * @throws {Error} When sleepers were still pending, naming how many: a test that leaves a
   *   loop sleeping has forgotten to stop it.
   */
  [Symbol.dispose](): void {
    const left = this.#sleepers.splice(0);
    for (const s of left) s.detach();
    if (left.length > 0) {
      throw new Error(`FakeClock disposed with ${left.length} sleeper(s) still pending`);
    }
  }

  #target(ms: number): number {
    checkNumber(
      ms,
      "advance FakeClock",
      "ms",
      "a finite number >= 0",
      (n) => Number.isFinite(n) && n >= 0,
    );
    return this.#now + ms;
  }

  #fire(s: Sleeper): void {
    this.#sleepers.shift();
    this.#now = Math.max(this.#now, s.due);
    s.detach();
    s.resolve();
  }

  #insert(sleeper: Sleeper): void {
    // Binary search keeps (due, seq) order; seq grows, so equal dues go after existing ones.
    const list = this.#sleepers;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid]!.due <= sleeper.due) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, sleeper);
  }

  #remove(sleeper: Sleeper): void {
    const i = this.#sleepers.indexOf(sleeper);
    if (i >= 0) this.#sleepers.splice(i, 1);
  }
}
