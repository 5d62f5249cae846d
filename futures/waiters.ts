/**
 * futurist's waiters: {@linkcode waitForAny} and {@linkcode waitForAll}.
 *
 * @module
 */

import { type Clock, systemClock } from "../runtime/clock.ts";
import { describeValue } from "../runtime/_describe.ts";
import { futureInternals } from "./_future_control.ts";
import { checkWaitOptions } from "./_timeout.ts";
import { Future } from "./future.ts";

/**
 * Options for {@linkcode waitForAny} and {@linkcode waitForAll}.
 *
 * @example A bounded wait returns what is done so far
 * ```ts
 * import { FakeClock } from "@fjord/fjord";
 * import { AsyncPoolExecutor, waitForAll, type WaitOptions } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * using clock = new FakeClock();
 * await using ex = new AsyncPoolExecutor();
 * const { promise, resolve } = Promise.withResolvers<void>();
 * const fast = ex.submit(() => 1);
 * const slow = ex.submit(() => promise);
 * await fast;
 * const options: WaitOptions = { timeout: 100, clock };
 * const waiting = waitForAll([fast, slow], options);
 * clock.tick(100);
 * const { done, notDone } = await waiting;
 * assert.ok(done.has(fast) && notDone.has(slow));
 * resolve();
 * ```
 */
export interface WaitOptions {
  /** Give up after this many ms and return the partition as it is (no error). */
  timeout?: number;
  /** Aborting rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** The clock the timeout is measured on (default `systemClock`). */
  clock?: Clock;
}

/**
 * The futures split by whether they are done (finished, failed or cancelled).
 *
 * @example
 * ```ts
 * import { type DoneAndNotDone, SynchronousExecutor, waitForAny } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * const ex = new SynchronousExecutor();
 * const ok = ex.submit(() => "ok");
 * const failed = ex.submit(() => { throw new Error("boom"); });
 * const result: DoneAndNotDone = await waitForAny([ok, failed]);
 * assert.equal(result.done.size, 2);
 * assert.equal(result.notDone.size, 0);
 * await assert.rejects(failed.result(), { message: "boom" });
 * ```
 */
export interface DoneAndNotDone {
  /** Done futures. */
  done: Set<Future<unknown>>;
  /** Futures still pending or running. */
  notDone: Set<Future<unknown>>;
}

function partition(fs: Set<Future<unknown>>): DoneAndNotDone {
  const done = new Set<Future<unknown>>();
  const notDone = new Set<Future<unknown>>();
  for (const f of fs) (f.done() ? done : notDone).add(f);
  return { done, notDone };
}

function waitFor(
  fs: Iterable<Future<unknown>>,
  any: boolean,
  options: WaitOptions,
): Promise<DoneAndNotDone> {
  const action = any ? "wait for any" : "wait for all";
  checkWaitOptions(options, action);
  const { timeout, signal, clock = systemClock } = options;
  const all = typeof (fs as Partial<Iterable<unknown>>)?.[Symbol.iterator] === "function"
    ? new Set(fs)
    : undefined;
  if (all === undefined || [...all].some((f) => !(f instanceof Future))) {
    throw new TypeError(
      `Cannot ${action} as 'fs' must be an iterable of futures: current value is ${
        describeValue(fs)
      }`,
    );
  }
  let doneCount = 0;
  const needed = (n: number): boolean => any ? n >= 1 : n >= all.size;
  for (const f of all) if (f.done()) doneCount++;
  if (all.size === 0 || needed(doneCount)) return Promise.resolve(partition(all));
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const removers: (() => void)[] = [];
    const stopTimer = new AbortController();
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      for (const r of removers) r();
      stopTimer.abort();
      signal?.removeEventListener("abort", onAbort);
    };
    const onAbort = (): void => {
      finish();
      reject(signal!.reason);
    };
    // One shared callback; removing it from every future only matters when the wait can end
    // before they are all done (timeout, abort, or waiting for any).
    const onDone = (): void => {
      if (settled) return;
      if (needed(++doneCount)) {
        finish();
        resolve(partition(all));
      }
    };
    const removable = timeout !== undefined || signal !== undefined || any;
    for (const f of all) {
      if (f.done()) continue;
      const remove = futureInternals.onDone(f, onDone);
      if (removable) removers.push(remove);
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    if (timeout !== undefined) {
      clock.sleep(timeout, { signal: stopTimer.signal }).then(() => {
        if (settled) return;
        finish();
        resolve(partition(all));
      }, () => {});
    }
  });
}

/**
 * Waits until at least one of the futures is done (a cancelled one counts), or `timeout` passes.
 *
 * @param fs The futures.
 * @param options `timeout` (ms), `signal`, `clock`.
 * @returns `{ done, notDone }`; on timeout the partition as it is (futurist does not raise).
 *   An empty input resolves at once with two empty sets.
 * @throws {RangeError} When `timeout` is negative or NaN.
 * @throws {TypeError} When `fs` is not an iterable of futures, `timeout` is not a number, or
 *   `clock` is not a Clock.
 *
 * @example
 * ```ts
 * import { AsyncPoolExecutor, waitForAny } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * await using ex = new AsyncPoolExecutor();
 * const { promise, resolve } = Promise.withResolvers<void>();
 * const slow = ex.submit(() => promise);
 * const fast = ex.submit(() => 1);
 * const { done, notDone } = await waitForAny([slow, fast]);
 * assert.ok(done.has(fast) && notDone.has(slow));
 * resolve();
 * ```
 */
export function waitForAny(
  fs: Iterable<Future<unknown>>,
  options: WaitOptions = {},
): Promise<DoneAndNotDone> {
  return waitFor(fs, true, options);
}

/**
 * Waits until all of the futures are done, or `timeout` passes.
 *
 * @param fs The futures.
 * @param options `timeout` (ms), `signal`, `clock`.
 * @returns `{ done, notDone }`; on timeout the partition as it is.
 * @throws {RangeError} When `timeout` is negative or NaN.
 * @throws {TypeError} When `fs` is not an iterable of futures, `timeout` is not a number, or
 *   `clock` is not a Clock.
 *
 * @example
 * ```ts
 * import { AsyncPoolExecutor, waitForAll } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * await using ex = new AsyncPoolExecutor();
 * const fs = [1, 2, 3].map((n) => ex.submit(async () => n));
 * const { done, notDone } = await waitForAll(fs);
 * assert.equal(done.size, 3);
 * assert.equal(notDone.size, 0);
 * ```
 */
export function waitForAll(
  fs: Iterable<Future<unknown>>,
  options: WaitOptions = {},
): Promise<DoneAndNotDone> {
  return waitFor(fs, false, options);
}
