/**
 * Looping calls (oslo.service `loopingcall`): run a function again and again on a fixed,
 * dynamic or back-off schedule, in milliseconds, through a {@linkcode Clock}.
 *
 * @module
 */

import { type Clock, systemClock } from "../runtime/clock.ts";
import { checkClock } from "../runtime/_check_clock.ts";
import { getLogger } from "../runtime/logger.ts";
import { checkBooleanOption } from "../runtime/_check_options.ts";
import { checkNumber } from "../runtime/_check_number.ts";
import { describeValue } from "../runtime/_describe.ts";
import { checkDelay, checkFunction, formatMs, type LoopPlan, LoopRunner } from "./_looping_base.ts";
import { normalQuantile } from "./_normal_quantile.ts";
import { unitRandom } from "./_unit_random.ts";
import { LoopingCallTimeOut } from "./looping_call_errors.ts";

/**
 * Options for the looping call constructors.
 *
 * @example
 * ```ts
 * import { FakeClock, FixedIntervalLoopingCall, type LoopingCallOptions } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * using clock = new FakeClock();
 * const options: LoopingCallOptions = { clock };
 * const call = new FixedIntervalLoopingCall(() => {}, options).start({ interval: 100 });
 * call.stop();
 * assert.equal(await call.wait(), true);
 * ```
 */
export interface LoopingCallOptions {
  /**
   * The clock the loop reads and sleeps on.
   *
   * @default {systemClock}
   */
  clock?: Clock;
}

/**
 * Options for {@linkcode FixedIntervalLoopingCall.start}.
 *
 * @example
 * ```ts
 * import { FakeClock, FixedIntervalLoopingCall, type FixedIntervalStartOptions } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * using clock = new FakeClock();
 * const starts: number[] = [];
 * const options: FixedIntervalStartOptions = { interval: 100, initialDelay: 50 };
 * const call = new FixedIntervalLoopingCall(() => {
 *   starts.push(clock.now());
 * }, { clock }).start(options);
 * await clock.tickAsync(250);
 * call.stop();
 * await call.wait();
 * assert.deepEqual(starts, [50, 150, 250]);
 * ```
 */
export interface FixedIntervalStartOptions {
  /** Milliseconds from the start of one call to the start of the next. */
  interval: number;
  /**
   * Milliseconds to wait before the first call.
   *
   * @default {0}
   */
  initialDelay?: number;
  /**
   * `true`: an error thrown by the function ends the loop and rejects `wait()`. `false`: it is
   * logged and the loop goes on.
   *
   * @default {true}
   */
  stopOnException?: boolean;
  /**
   * How each call is woken on time on the system clock (any other clock is used as is); calls
   * never start early and the schedule never drifts. `false`, with an interval up to 2 s: by a
   * timer thread, one small Worker per isolate shared by its running loops and ended with the
   * last of them, which sleeps in the kernel to the microsecond and wakes the isolate just before
   * the due time; the isolate spins at most ~0.3 ms per call and spends nothing while waiting, and
   * calls start under ~0.1 ms late on a quiet machine (typically). Starting the thread blocks the
   * isolate once for ~10 ms (Deno creates a Worker synchronously); until it runs, and for longer
   * intervals, the loop wakes a little early from its own timer and yields turns until the due
   * time. `true`: the loop wakes 1–2.5 ms early from its timer and waits the rest in one blocking
   * `Atomics.wait` (no thread, but nothing else runs in the isolate meanwhile): for a loop in a
   * Worker of its own.
   *
   * @default {false}
   */
  precise?: boolean;
}

/**
 * Options for {@linkcode FixedIntervalWithTimeoutLoopingCall.start}.
 *
 * @example
 * ```ts
 * import type { FixedIntervalWithTimeoutStartOptions } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * const options: FixedIntervalWithTimeoutStartOptions = { interval: 200, timeout: 500 };
 * assert.equal(options.timeout, 500);
 * ```
 */
export interface FixedIntervalWithTimeoutStartOptions extends FixedIntervalStartOptions {
  /**
   * Milliseconds after `start()` (initial delay included) after which the loop ends with
   * {@linkcode LoopingCallTimeOut}; checked after each call. `0` means no timeout.
   *
   * @default {0}
   */
  timeout?: number;
}

/**
 * Options for {@linkcode DynamicLoopingCall.start}.
 *
 * @example
 * ```ts
 * import { DynamicLoopingCall, type DynamicStartOptions, FakeClock } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * using clock = new FakeClock();
 * const starts: number[] = [];
 * const options: DynamicStartOptions = { periodicIntervalMax: 300 };
 * const call = new DynamicLoopingCall(() => {
 *   starts.push(clock.now());
 *   return undefined; // sleep periodicIntervalMax
 * }, { clock }).start(options);
 * await clock.tickAsync(600);
 * call.stop();
 * await call.wait();
 * assert.deepEqual(starts, [0, 300, 600]);
 * ```
 */
export interface DynamicStartOptions {
  /**
   * Milliseconds to wait before the first call.
   *
   * @default {0}
   */
  initialDelay?: number;
  /**
   * The longest sleep in milliseconds, and the sleep used when the function returns
   * `undefined`. Without it, returning `undefined` ends the loop with an error.
   */
  periodicIntervalMax?: number;
  /**
   * `true`: an error thrown by the function ends the loop and rejects `wait()`. `false`: it is
   * logged and the next call starts at once (as in oslo, a failure counts as a delay of 0).
   *
   * @default {true}
   */
  stopOnException?: boolean;
}

/**
 * Options for the {@linkcode BackOffLoopingCall} constructor.
 *
 * @example
 * ```ts
 * import type { BackOffLoopingCallOptions } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * // A constant source makes the jitter factor exactly `jitter`.
 * const options: BackOffLoopingCallOptions = { random: () => 0.5 };
 * assert.equal(options.random?.(), 0.5);
 * ```
 */
export interface BackOffLoopingCallOptions extends LoopingCallOptions {
  /**
   * A uniform random number source in [0, 1), like `Math.random`; the jitter factor is drawn
   * from a normal distribution (mean `jitter`, standard deviation 0.1) through it. A constant
   * `() => 0.5` makes the factor exactly `jitter`.
   *
   * @default {Math.random}
   */
  random?: () => number;
}

/**
 * Options for {@linkcode BackOffLoopingCall.start}.
 *
 * @example
 * ```ts
 * import type { BackOffStartOptions } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * const options: BackOffStartOptions = { startingInterval: 100, maxInterval: 5000, timeout: 60_000 };
 * assert.equal(options.jitter, undefined); // 0.75 by default
 * ```
 */
export interface BackOffStartOptions {
  /**
   * Milliseconds to wait before the first call.
   *
   * @default {0}
   */
  initialDelay?: number;
  /**
   * Milliseconds to sleep after a success (times the jitter factor), and the first back-off.
   *
   * @default {1000}
   */
  startingInterval?: number;
  /**
   * Most milliseconds of back-off sleep in one failure streak before the loop ends with
   * {@linkcode LoopingCallTimeOut} (checked before sleeping). `0` means no limit.
   *
   * @default {300000}
   */
  timeout?: number;
  /**
   * The longest single back-off sleep in milliseconds.
   *
   * @default {300000}
   */
  maxInterval?: number;
  /**
   * The mean of the random factor applied to each sleep; the back-off grows by `2 * jitter`
   * per failure.
   *
   * @default {0.75}
   */
  jitter?: number;
  /**
   * The shortest back-off sleep in milliseconds.
   *
   * @default {1}
   */
  minInterval?: number;
}

function clockOf(options: LoopingCallOptions | undefined, what: string): Clock {
  checkClock(options?.clock, what);
  return options?.clock ?? systemClock;
}

function checkPositive(value: unknown, what: string, param: string): number {
  return checkNumber(value, what, param, "a finite number > 0", (n) => n > 0 && n !== Infinity);
}

// How far behind its schedule a fixed-interval loop may fall (because the isolate was busy, or
// the machine suspended) and still catch up by starting the missed calls at once; beyond this
// (or one interval, if longer) the missed calls are skipped and the schedule restarts.
const CATCH_UP_MS = 1000;

/**
 * The fixed-interval schedule: start-to-start, against the ideal times `anchor + k * interval`
 * so timer lateness does not accumulate. An overrun (a call longer than the interval) is logged,
 * the next call starts at once and the schedule restarts from it (oslo's rule). A late wake-up
 * without an overrun keeps the schedule: a call whose time has passed starts at once.
 */
function fixedSchedule(
  interval: number,
  label: string,
): (result: unknown, started: number, ended: number) => number {
  let anchor: number | undefined;
  let k = 0;
  return (_result, started, ended) => {
    if (anchor === undefined) {
      anchor = started;
      k = 0;
    }
    const overrun = Math.round((ended - started - interval) * 100) / 100;
    if (overrun > 0) {
      // Warned from the overrun oslo warns from: it rounds to 0.01 s, so 5 ms. Below that, every
      // call of an `interval: 0` loop (run back to back) warned, for microseconds.
      if (overrun >= 5) {
        getLogger().warning(`Function ${label} run outlasted interval by ${formatMs(overrun)} ms`);
      }
      anchor = undefined;
      return ended;
    }
    k += 1;
    const due = anchor + k * interval;
    if (ended - due > Math.max(interval, CATCH_UP_MS)) {
      anchor = undefined;
      return ended;
    }
    return due;
  };
}

// Up to this interval a fixed-interval loop is woken by the isolate's timer thread (a Worker:
// ~10 ms of this isolate blocked while Deno creates it, and its memory); a longer one gains too
// little from it, and wakes from its own timer as dynamic loops do.
const TIMER_THREAD_MAX_INTERVAL_MS = 2000;

/** Checks a fixed-interval `start()`'s options and plans the loop on the fixed schedule. */
function fixedPlan(options: FixedIntervalStartOptions, what: string, label: string): LoopPlan {
  const interval = checkDelay(options?.interval, what, "interval");
  return {
    initialDelay: checkDelay(options.initialDelay ?? 0, what, "initialDelay"),
    stopOnException: checkBooleanOption(options.stopOnException, what, "stopOnException") ?? true,
    timerThread: interval <= TIMER_THREAD_MAX_INTERVAL_MS,
    precise: checkBooleanOption(options.precise, what, "precise") ?? false,
    next: fixedSchedule(interval, label),
  };
}

// Lets the subclasses below reach the base's private runner without exposing it.
let loopOf: <T>(call: LoopingCallBase<T>) => LoopRunner<T>;

/**
 * What every looping call shares (oslo's `LoopingCallBase`): `running`, `stop()`, `wait()` and
 * `[Symbol.asyncDispose]`. The variants add `start()` with their own schedule.
 *
 * @typeParam T The value the function finishes with through {@linkcode LoopingCallDone}.
 *
 * @example Stopping any looping call the same way
 * ```ts
 * import { FakeClock, FixedIntervalLoopingCall, type LoopingCallBase } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * using clock = new FakeClock();
 * const call: LoopingCallBase = new FixedIntervalLoopingCall(() => {}, { clock })
 *   .start({ interval: 100 });
 * assert.equal(call.running, true);
 * call.stop();
 * assert.equal(await call.wait(), true);
 * ```
 */
export abstract class LoopingCallBase<T = unknown> implements AsyncDisposable {
  #loop: LoopRunner<T>;

  static {
    loopOf = <U>(call: LoopingCallBase<U>): LoopRunner<U> => call.#loop as LoopRunner<U>;
  }

  /**
   * Creates the looping call (not started).
   *
   * @param kind The variant's name in log lines.
   * @param busyMessage The message of the error `start()` throws while the loop runs.
   * @param fn The function to call.
   * @param clock The clock to read and sleep on.
   */
  protected constructor(kind: string, busyMessage: string, fn: () => unknown, clock: Clock) {
    this.#loop = new LoopRunner<T>(kind, busyMessage, fn, clock);
  }

  /**
   * Whether the loop is running: from `start()` until the loop has ended. After `stop()` it
   * stays `true` until the current call returns (await `wait()` before starting again).
   */
  get running(): boolean {
    return this.#loop.running;
  }

  /**
   * Stops the loop: a sleeping loop ends at once, a running call is never interrupted (the loop
   * ends when it returns). Idempotent.
   */
  stop(): void {
    this.#loop.stop();
  }

  /**
   * Waits for the loop to end.
   *
   * @returns `true` when stopped, or the {@linkcode LoopingCallDone} value.
   * @throws {DOMException} `InvalidStateError` when the loop was never started (thrown at once).
   * @throws {unknown} The error that ended the loop (rejects): the function's, or
   *   {@linkcode LoopingCallTimeOut} from the timeout and back-off variants.
   */
  wait(): Promise<T | true> {
    return this.#loop.wait();
  }

  /** Stops the loop and waits for it to end (its error, already logged, is not thrown). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.#loop.dispose();
  }
}

/**
 * Calls a function every `interval` milliseconds, start to start (oslo's
 * `FixedIntervalLoopingCall`). An overrun (a call longer than the interval) logs
 * "Function 'f' run outlasted interval by X ms" (from 5 ms over, as oslo's 0.01 s rounding), the
 * next call starts at once and the schedule
 * restarts from it. Otherwise the schedule is kept against the first call's start
 * (`T0 + k * interval`), so it does not drift: a call whose time passed while the isolate was
 * busy starts at once; after a lag of more than 1 s (or one interval, if longer) the missed
 * calls are skipped instead. On the system clock a call starts a fraction of a millisecond after
 * its due time, never before, woken (intervals up to 2 s) by a timer thread without blocking the
 * isolate (see `precise` in {@linkcode FixedIntervalStartOptions}).
 *
 * @typeParam T The value the function finishes with through {@linkcode LoopingCallDone}.
 *
 * @example Three ticks on a fake clock
 * ```ts
 * import { FakeClock, FixedIntervalLoopingCall } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * using clock = new FakeClock();
 * const starts: number[] = [];
 * const call = new FixedIntervalLoopingCall(() => {
 *   starts.push(clock.now());
 * }, { clock }).start({ interval: 500 });
 * await clock.tickAsync(1000);
 * call.stop();
 * assert.equal(await call.wait(), true);
 * assert.deepEqual(starts, [0, 500, 1000]);
 * ```
 */
export class FixedIntervalLoopingCall<T = unknown> extends LoopingCallBase<T> {
  /**
   * Creates the looping call (not started).
   *
   * @param fn The function to call; a returned promise is awaited (the call runs until it
   *   settles). Throw {@linkcode LoopingCallDone} to finish the loop.
   * @param options `clock`: the clock to use.
   * @throws {TypeError} When `fn` is not a function, or `clock` is not a Clock.
   */
  constructor(fn: () => unknown, options?: LoopingCallOptions) {
    checkFunction(fn, "create FixedIntervalLoopingCall");
    super(
      "Fixed interval looping call",
      "A fixed interval looping call can only run one function at a time",
      fn,
      clockOf(options, "create FixedIntervalLoopingCall"),
    );
  }

  /**
   * Starts the loop: the first call after `initialDelay`, then one every `interval` ms.
   *
   * @param options The interval in ms, and `initialDelay`, `stopOnException`, `precise`.
   * @returns This looping call.
   * @throws {DOMException} `InvalidStateError` when the loop is already running.
   * @throws {RangeError} When `interval` or `initialDelay` is negative or not finite.
   * @throws {TypeError} When a duration is not a number, or `stopOnException` or `precise` is
   *   not a boolean.
   */
  start(options: FixedIntervalStartOptions): this {
    const loop = loopOf(this);
    loop.start(fixedPlan(options, "start FixedIntervalLoopingCall", loop.label));
    return this;
  }
}

/**
 * A {@linkcode FixedIntervalLoopingCall} that also ends with {@linkcode LoopingCallTimeOut}
 * once more than `timeout` ms have passed since `start()` (checked after each call).
 *
 * @typeParam T The value the function finishes with through {@linkcode LoopingCallDone}.
 *
 * @example Timing out after 500 ms
 * ```ts
 * import { FakeClock, FixedIntervalWithTimeoutLoopingCall, LoopingCallTimeOut } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * using clock = new FakeClock();
 * const call = new FixedIntervalWithTimeoutLoopingCall(() => {}, { clock })
 *   .start({ interval: 200, timeout: 500 });
 * await clock.runAll();
 * await assert.rejects(call.wait(), LoopingCallTimeOut);
 * ```
 */
export class FixedIntervalWithTimeoutLoopingCall<T = unknown> extends LoopingCallBase<T> {
  /**
   * Creates the looping call (not started).
   *
   * @param fn The function to call; a returned promise is awaited.
   * @param options `clock`: the clock to use.
   * @throws {TypeError} When `fn` is not a function, or `clock` is not a Clock.
   */
  constructor(fn: () => unknown, options?: LoopingCallOptions) {
    checkFunction(fn, "create FixedIntervalWithTimeoutLoopingCall");
    super(
      "Fixed interval looping call with timeout checking.",
      "A fixed interval looping call with timeout checking and can only run one function at a time",
      fn,
      clockOf(options, "create FixedIntervalWithTimeoutLoopingCall"),
    );
  }

  /**
   * Starts the loop.
   *
   * @param options As for {@linkcode FixedIntervalLoopingCall.start}, plus `timeout` in ms.
   * @returns This looping call.
   * @throws {DOMException} `InvalidStateError` when the loop is already running.
   * @throws {RangeError} When a duration is negative or not finite.
   * @throws {TypeError} When a duration is not a number, or `stopOnException` or `precise` is
   *   not a boolean.
   */
  start(options: FixedIntervalWithTimeoutStartOptions): this {
    const what = "start FixedIntervalWithTimeoutLoopingCall";
    const loop = loopOf(this);
    const plan = fixedPlan(options, what, loop.label);
    const timeout = checkDelay(options.timeout ?? 0, what, "timeout");
    const startTime = loop.clock.now();
    loop.start({
      ...plan,
      next: (result, started, ended) => {
        const due = plan.next(result, started, ended);
        const elapsed = ended - startTime;
        if (timeout > 0 && elapsed > timeout) {
          throw new LoopingCallTimeOut(`Looping call timed out after ${formatMs(elapsed)} ms`);
        }
        return due;
      },
    });
    return this;
  }
}

/**
 * Calls a function, then sleeps for as many milliseconds as it returned (end to start), then
 * calls it again (oslo's `DynamicLoopingCall`). Returning `undefined` sleeps
 * `periodicIntervalMax`; without one, the loop ends with an `Error`.
 *
 * @typeParam T The value the function finishes with through {@linkcode LoopingCallDone}.
 *
 * @example The function picks its next delay
 * ```ts
 * import { DynamicLoopingCall, FakeClock, LoopingCallDone } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * using clock = new FakeClock();
 * const starts: number[] = [];
 * const call = new DynamicLoopingCall(() => {
 *   starts.push(clock.now());
 *   if (starts.length === 3) throw new LoopingCallDone("done");
 *   return starts.length * 100;
 * }, { clock }).start();
 * await clock.runAll();
 * assert.equal(await call.wait(), "done");
 * assert.deepEqual(starts, [0, 100, 300]);
 * ```
 */
export class DynamicLoopingCall<T = unknown> extends LoopingCallBase<T> {
  /**
   * Creates the looping call (not started).
   *
   * @param fn Returns (or resolves to) the milliseconds to sleep before the next call, or
   *   `undefined` for `periodicIntervalMax`.
   * @param options `clock`: the clock to use.
   * @throws {TypeError} When `fn` is not a function, or `clock` is not a Clock.
   */
  constructor(
    fn: () => number | undefined | void | Promise<number | undefined | void>,
    options?: LoopingCallOptions,
  ) {
    checkFunction(fn, "create DynamicLoopingCall");
    super(
      "Dynamic interval looping call",
      "A dynamic interval looping call can only run one function at a time",
      fn,
      clockOf(options, "create DynamicLoopingCall"),
    );
  }

  /**
   * Starts the loop.
   *
   * @param options `initialDelay`, `periodicIntervalMax` (ms) and `stopOnException`.
   * @returns This looping call.
   * @throws {DOMException} `InvalidStateError` when the loop is already running.
   * @throws {RangeError} When a duration is negative or not finite.
   * @throws {TypeError} When a duration is not a number, or `stopOnException` is not a boolean.
   */
  start(options: DynamicStartOptions = {}): this {
    const what = "start DynamicLoopingCall";
    const initialDelay = checkDelay(options.initialDelay ?? 0, what, "initialDelay");
    const max = options.periodicIntervalMax === undefined
      ? undefined
      : checkDelay(options.periodicIntervalMax, what, "periodicIntervalMax");
    const stopOnException = checkBooleanOption(options.stopOnException, what, "stopOnException") ??
      true;
    loopOf(this).start({
      timerThread: false,
      precise: false,
      initialDelay,
      stopOnException,
      next: (result, _started, ended) => {
        let delay: number;
        if (result === undefined) {
          if (max === undefined) {
            throw new TypeError(
              "A dynamic interval looping call should supply either an interval or periodicIntervalMax",
            );
          }
          delay = max;
        } else if (typeof result !== "number" || Number.isNaN(result)) {
          throw new TypeError(
            `Cannot schedule the next call as the function must return a number of milliseconds or undefined: current value is ${
              describeValue(result)
            }`,
          );
        } else {
          delay = max === undefined ? result : Math.min(result, max);
        }
        return ended + Math.max(0, delay);
      },
    });
    return this;
  }
}

/**
 * Calls a function that reports success (truthy) or failure (falsy); after a success it sleeps
 * `startingInterval`, after each failure it backs off exponentially with jitter, up to
 * `maxInterval`, and gives up with {@linkcode LoopingCallTimeOut} when a failure streak's sleeps
 * would exceed `timeout` (oslo's `BackOffLoopingCall`). The function finishes the loop by
 * throwing {@linkcode LoopingCallDone}; any other error ends it too.
 *
 * @typeParam T The value the function finishes with through {@linkcode LoopingCallDone}.
 *
 * @example Backing off 20, 40, 80 ms, then timing out
 * ```ts
 * import { BackOffLoopingCall, FakeClock, LoopingCallTimeOut } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * using clock = new FakeClock();
 * const starts: number[] = [];
 * const call = new BackOffLoopingCall(() => {
 *   starts.push(clock.now());
 *   return false;
 * }, { clock, random: () => 0.5 }).start({
 *   startingInterval: 10, jitter: 1, maxInterval: 80, timeout: 200,
 * });
 * await clock.runAll();
 * await assert.rejects(call.wait(), LoopingCallTimeOut);
 * assert.deepEqual(starts, [0, 20, 60, 140]);
 * ```
 */
export class BackOffLoopingCall<T = unknown> extends LoopingCallBase<T> {
  #random: () => number;

  /**
   * Creates the looping call (not started).
   *
   * @param fn Returns (or resolves to) truthy on success, falsy on failure.
   * @param options `clock` and `random` (a uniform source in [0, 1)).
   * @throws {TypeError} When `fn` or `random` is not a function, or `clock` is not a Clock.
   */
  constructor(fn: () => unknown, options?: BackOffLoopingCallOptions) {
    checkFunction(fn, "create BackOffLoopingCall");
    const random = options?.random ?? Math.random;
    checkFunction(random, "create BackOffLoopingCall", "random");
    super(
      "Dynamic backoff interval looping call",
      "A dynamic backoff interval looping call can only run one function at a time",
      fn,
      clockOf(options, "create BackOffLoopingCall"),
    );
    this.#random = random;
  }

  /**
   * Starts the loop (state is reset on every start).
   *
   * @param options The back-off parameters, in ms (see {@linkcode BackOffStartOptions}).
   * @returns This looping call.
   * @throws {DOMException} `InvalidStateError` when the loop is already running.
   * @throws {TypeError} When a duration or `jitter` is not a number.
   * @throws {RangeError} When a duration is negative or not finite, or `jitter` is not a
   *   finite number >= 0.
   */
  start(options: BackOffStartOptions = {}): this {
    const what = "start BackOffLoopingCall";
    const initialDelay = checkDelay(options.initialDelay ?? 0, what, "initialDelay");
    const startingInterval = checkPositive(
      options.startingInterval ?? 1000,
      what,
      "startingInterval",
    );
    const timeout = checkDelay(options.timeout ?? 300_000, what, "timeout");
    const maxInterval = checkDelay(options.maxInterval ?? 300_000, what, "maxInterval");
    const jitter = checkDelay(options.jitter ?? 0.75, what, "jitter");
    const minInterval = checkDelay(options.minInterval ?? 1, what, "minInterval");
    const random = this.#random;
    let interval = startingInterval;
    let errorTime = 0;
    loopOf(this).start({
      timerThread: false,
      precise: false,
      initialDelay,
      stopOnException: true,
      next: (result, _started, ended) => {
        // A NaN here made every sleep NaN: on the system clock the loop then never yielded and
        // hung the isolate (stop() could not run).
        const u = unitRandom(random(), "schedule the next call");
        const factor = Math.abs(jitter + 0.1 * normalQuantile(u));
        if (result) {
          interval = startingInterval;
          errorTime = 0;
          return ended + startingInterval * factor;
        }
        const idle = Math.min(Math.max(interval * 2 * factor, minInterval), maxInterval);
        interval = Math.max(interval * 2 * jitter, minInterval);
        if (timeout > 0 && errorTime + idle > timeout) {
          throw new LoopingCallTimeOut(
            `Looping call timed out after ${formatMs(errorTime + idle)} ms`,
          );
        }
        errorTime += idle;
        return ended + idle;
      },
    });
    return this;
  }
}
