/**
 * Retrying a function on chosen errors with a growing delay (oslo.service `RetryDecorator`).
 *
 * @module
 */

import { type Clock, systemClock } from "../runtime/clock.ts";
import { checkClock } from "../runtime/_check_clock.ts";
import { describeValue } from "../runtime/_describe.ts";
import { getLogger } from "../runtime/logger.ts";
import { checkDelay, checkFunction, functionLabel } from "./_looping_base.ts";
import { checkNumber } from "../runtime/_check_number.ts";
import { checkKnownKeys, checkOptionsObject } from "../runtime/_check_options.ts";
import { oneTurn } from "../runtime/_one_turn.ts";

/**
 * Options for the {@linkcode RetryDecorator} constructor.
 *
 * @example
 * ```ts
 * import type { RetryDecoratorOptions } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * const options: RetryDecoratorOptions = { maxRetryCount: 3, incSleepTime: 500, exceptions: [TypeError] };
 * assert.equal(options.maxSleepTime, undefined); // 60000 by default
 * ```
 */
export interface RetryDecoratorOptions {
  /**
   * The most retries per invocation (so at most `maxRetryCount + 1` calls); `-1` retries
   * forever.
   *
   * @default {-1}
   */
  maxRetryCount?: number;
  /**
   * Milliseconds added to the delay at each retry: delays are `inc, 2·inc, 3·inc, …`.
   *
   * @default {10000}
   */
  incSleepTime?: number;
  /**
   * The longest delay in milliseconds.
   *
   * @default {60000}
   */
  maxSleepTime?: number;
  /**
   * The error classes that cause a retry (`instanceof`); any other error is thrown at once.
   * Empty: never retry.
   *
   * @default {[]}
   */
  // deno-lint-ignore no-explicit-any
  exceptions?: (new (...args: any[]) => Error)[];
  /**
   * The clock the delays sleep on.
   *
   * @default {systemClock}
   */
  clock?: Clock;
}

function isClass(value: unknown): boolean {
  if (typeof value !== "function") return false;
  try {
    // Throws for a function with no prototype object (an arrow function, a method).
    void ({} instanceof value);
    return true;
  } catch {
    return false;
  }
}

// Checked against RetryDecoratorOptions by the type checker, as ProcessLauncher's.
const RETRY_KEYS = Object.keys(
  {
    maxRetryCount: true,
    incSleepTime: true,
    maxSleepTime: true,
    exceptions: true,
    clock: true,
  } satisfies Record<keyof RetryDecoratorOptions, true>,
);

/**
 * Wraps functions so that an error of one of the chosen classes makes them sleep and try again:
 * delays `incSleepTime, 2·incSleepTime, …` capped at `maxSleepTime`, at most `maxRetryCount`
 * retries. Retries are counted per invocation (oslo counts them across invocations, a bug not
 * copied here).
 *
 * @example Retrying a flaky call
 * ```ts
 * import { FakeClock, RetryDecorator } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * using clock = new FakeClock();
 * let calls = 0;
 * const fetchIt = new RetryDecorator({
 *   maxRetryCount: 3, incSleepTime: 100, exceptions: [TypeError], clock,
 * }).wrap(async (x: number) => {
 *   if (++calls < 3) throw new TypeError("flaky");
 *   return x * 2;
 * });
 * const result = fetchIt(21);
 * await clock.runAll();
 * assert.equal(await result, 42);
 * assert.equal(clock.now(), 300); // slept 100, then 200
 * ```
 */
export class RetryDecorator {
  #maxRetryCount: number;
  #incSleepTime: number;
  #maxSleepTime: number;
  // deno-lint-ignore no-explicit-any
  #exceptions: (new (...args: any[]) => Error)[];
  #clock: Clock;

  /**
   * Creates the decorator.
   *
   * @param options `maxRetryCount`, `incSleepTime` (ms), `maxSleepTime` (ms), `exceptions`,
   *   `clock`.
   * @throws {TypeError} When `maxRetryCount` or a duration is not a number, `exceptions` is not an
   *   array of classes, or `clock` is not a Clock.
   * @throws {RangeError} When `maxRetryCount` is not an integer >= -1, or a duration is
   *   negative or not finite.
   */
  constructor(options: RetryDecoratorOptions = {}) {
    checkOptionsObject(options, "create RetryDecorator");
    // `maxRetries: 3` kept the default of retrying for ever.
    checkKnownKeys(options, "create RetryDecorator", "options", RETRY_KEYS);
    const {
      maxRetryCount = -1,
      incSleepTime = 10_000,
      maxSleepTime = 60_000,
      exceptions = [],
      clock = systemClock,
    } = options;
    checkNumber(
      maxRetryCount,
      "create RetryDecorator",
      "maxRetryCount",
      "an integer >= -1",
      (n) => Number.isInteger(n) && n >= -1,
    );
    // An arrow function passes `typeof`, but `instanceof` throws on it: at the first failure,
    // where its TypeError replaced the error the wrapped function threw.
    if (!Array.isArray(exceptions)) {
      throw new TypeError(
        `Cannot create RetryDecorator as 'exceptions' must be an array of error classes: current value is ${
          describeValue(exceptions)
        }`,
      );
    }
    // The item is what is wrong, so the message names it: 'exceptions[1]'.
    const bad = exceptions.findIndex((e) => !isClass(e));
    if (bad >= 0) {
      throw new TypeError(
        `Cannot create RetryDecorator as 'exceptions[${bad}]' must be an error class: current value is ${
          describeValue(exceptions[bad])
        }`,
      );
    }
    checkClock(clock, "create RetryDecorator");
    this.#maxRetryCount = maxRetryCount;
    this.#incSleepTime = checkDelay(incSleepTime, "create RetryDecorator", "incSleepTime");
    this.#maxSleepTime = checkDelay(maxSleepTime, "create RetryDecorator", "maxSleepTime");
    this.#exceptions = [...exceptions];
    this.#clock = clock;
  }

  /**
   * Returns a function that calls `fn` and retries it on the chosen errors.
   *
   * @typeParam A The arguments.
   * @typeParam R What `fn` returns.
   * @param fn The function to retry; a returned promise is awaited.
   * @returns The retrying function: resolves with `fn`'s result, or rejects with its last
   *   error (a non-retryable one, or the one after the last retry).
   * @throws {TypeError} When `fn` is not a function.
   */
  wrap<A extends unknown[], R>(fn: (...args: A) => R | Promise<R>): (...args: A) => Promise<R> {
    checkFunction(fn, "wrap");
    const label = functionLabel(fn);
    const max = this.#maxRetryCount;
    const inc = this.#incSleepTime;
    const cap = this.#maxSleepTime;
    const exceptions = this.#exceptions;
    const clock = this.#clock;
    return async (...args: A): Promise<R> => {
      let retryCount = 0;
      let sleepTime = 0;
      for (;;) {
        try {
          return await fn(...args);
        } catch (err) {
          if (!exceptions.some((E) => err instanceof E)) throw err;
          const log = getLogger();
          log.debug(
            `Exception which is in the suggested list of exceptions occurred while invoking function: ${label}.`,
          );
          if (max !== -1 && retryCount >= max) {
            log.debug(
              `Cannot retry ${label} upon suggested exception since retry count (${retryCount}) reached max retry count (${max}).`,
            );
            throw err;
          }
          retryCount += 1;
          sleepTime += inc;
          const delay = Math.min(sleepTime, cap);
          log.debug(`Retrying ${label} in ${delay.toFixed(2)} ms (retry ${retryCount}).`);
          // No delay: still one turn, or a function failing without awaiting anything would be
          // retried on microtasks alone, and nothing else (what it waits for, a signal handler,
          // a stop) would ever run again.
          if (delay <= 0) await oneTurn();
          else await clock.sleep(delay);
        }
      }
    };
  }
}
