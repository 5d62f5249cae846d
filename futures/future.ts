/**
 * {@linkcode Future}: the handle an executor returns for submitted work.
 *
 * @module
 */

import { type Clock, systemClock } from "../runtime/clock.ts";
import { describeValue } from "../runtime/_describe.ts";
import { getLogger } from "../runtime/logger.ts";
import { futureInternals } from "./_future_control.ts";
import { checkWaitOptions } from "./_timeout.ts";
import { CancelledError } from "./errors.ts";

const PENDING = 0;
const RUNNING = 1;
const FINISHED = 2;
const FAILED = 3;
const CANCELLED = 4;
type State = 0 | 1 | 2 | 3 | 4;

/**
 * Options for {@linkcode Future.result} and {@linkcode Future.exception}.
 *
 * @example Bounding a wait on a fake clock
 * ```ts
 * import { FakeClock } from "@fjord/fjord";
 * import { AsyncPoolExecutor, type FutureWaitOptions } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * using clock = new FakeClock();
 * await using ex = new AsyncPoolExecutor();
 * const { promise, resolve } = Promise.withResolvers<number>();
 * const f = ex.submit(() => promise);
 * const options: FutureWaitOptions = { timeout: 50, clock };
 * const waiting = f.result(options);
 * clock.tick(50);
 * await assert.rejects(waiting, { name: "TimeoutError" });
 * resolve(7);
 * assert.equal(await f.result(options), 7);
 * ```
 */
export interface FutureWaitOptions {
  /** Give up after this many ms: rejects with a `DOMException` named `TimeoutError`. */
  timeout?: number;
  /** Aborting rejects with `signal.reason` (the future keeps running). */
  signal?: AbortSignal;
  /** The clock the timeout is measured on (default `systemClock`). */
  clock?: Clock;
}

type Callback = (future: Future<never>) => void;

/**
 * The eventual outcome of work submitted to an executor (futurist's / `concurrent.futures`'
 * `Future`), and a `PromiseLike`: `await future` gives the result or throws the failure
 * ({@linkcode CancelledError} when cancelled).
 *
 * States: pending (queued) → running → done (a result, a failure, or cancelled). `cancel()` only
 * succeeds while pending. A future never causes an unhandled rejection by itself: failures are
 * only thrown to whoever awaits it.
 *
 * @typeParam T The result type.
 *
 * @example
 * ```ts
 * import { AsyncPoolExecutor } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * await using ex = new AsyncPoolExecutor({ maxWorkers: 2 });
 * const f = ex.submit(async (a: number, b: number) => a + b, 2, 3);
 * assert.equal(await f, 5);
 * assert.ok(f.done());
 * assert.equal(await f.exception(), undefined);
 * ```
 */
export class Future<T> implements PromiseLike<T> {
  #state: State = PENDING;
  #value: unknown = undefined;
  // One callback is the common case (a waiter): kept in a field, an array only for more.
  #callback: ((f: Future<never>) => void) | undefined = undefined;
  #callbacks: Callback[] | undefined = undefined;
  #onCancel: ((f: Future<never>) => void) | undefined = undefined;
  // Handed to a pool worker, queued there behind a running task: not running yet, but no
  // longer cancellable (the worker will run it).
  #claimed = false;

  static {
    futureInternals.setRunning = (f) => {
      if (f.#state !== PENDING) return false;
      f.#state = RUNNING;
      return true;
    };
    futureInternals.claim = (f) => {
      if (f.#state !== PENDING) return false;
      f.#claimed = true;
      return true;
    };
    futureInternals.unclaim = (f) => {
      f.#claimed = false;
    };
    futureInternals.forceCancel = (f) => f.#settle(CANCELLED, undefined);
    futureInternals.setResult = (f, value) => f.#settle(FINISHED, value);
    futureInternals.setException = (f, error) => f.#settle(FAILED, error);
    futureInternals.failed = (f) => f.#state === FAILED;
    futureInternals.onDone = (f, cb) => {
      if (f.#state >= FINISHED) {
        cb();
        return () => {};
      }
      f.#add(cb);
      return () => f.#remove(cb);
    };
    futureInternals.onCancel = (f, cb) => {
      f.#onCancel = cb as (f: Future<never>) => void;
    };
  }

  /**
   * Creates a pending future. Futures normally come from an executor's `submit()`, which is the
   * only thing that can settle them.
   */
  constructor() {}

  /**
   * Cancels the work if it has not started.
   *
   * @returns `true` when the future is (now) cancelled; `false` once it is running or done, or
   *   once a pool has handed it to a worker (queued there behind a running task).
   *
   * @example
   * ```ts
   * import { AsyncPoolExecutor, CancelledError } from "@fjord/fjord/futures";
   * import assert from "node:assert/strict";
   *
   * await using ex = new AsyncPoolExecutor({ maxWorkers: 1 });
   * const first = ex.submit(() => new Promise((r) => setTimeout(r, 10)));
   * const queued = ex.submit(() => 2);
   * assert.ok(queued.cancel());
   * assert.ok(queued.cancelled());
   * await assert.rejects(queued.result(), CancelledError);
   * await first;
   * ```
   */
  cancel(): boolean {
    if (this.#state === CANCELLED) return true;
    if (this.#state !== PENDING || this.#claimed) return false;
    this.#settle(CANCELLED, undefined);
    return true;
  }

  /**
   * Whether the future was cancelled.
   *
   * @returns `true` after a successful `cancel()`.
   *
   * @example
   * ```ts
   * import { Future } from "@fjord/fjord/futures";
   * import assert from "node:assert/strict";
   *
   * const f = new Future<number>();
   * assert.ok(!f.cancelled());
   * f.cancel();
   * assert.ok(f.cancelled());
   * ```
   */
  cancelled(): boolean {
    return this.#state === CANCELLED;
  }

  /**
   * Whether the work has started and not finished.
   *
   * @returns `true` while running.
   *
   * @example
   * ```ts
   * import { Future } from "@fjord/fjord/futures";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new Future().running(), false);
   * ```
   */
  running(): boolean {
    return this.#state === RUNNING;
  }

  /**
   * Whether the future is settled: a result, a failure, or cancelled.
   *
   * @returns `true` once done.
   *
   * @example
   * ```ts
   * import { SynchronousExecutor } from "@fjord/fjord/futures";
   * import assert from "node:assert/strict";
   *
   * const f = new SynchronousExecutor().submit(() => 1);
   * assert.ok(f.done());
   * ```
   */
  done(): boolean {
    return this.#state >= FINISHED;
  }

  /**
   * Waits for the result.
   *
   * @param options `timeout` (ms), `signal`, `clock`.
   * @returns The work's value.
   * @throws {CancelledError} When the future was cancelled.
   * @throws {DOMException} `TimeoutError` when `timeout` passes first (the work keeps going), or
   *   `signal.reason` when aborted.
   * @throws {RangeError} When `timeout` is negative or NaN.
   * @throws {TypeError} When `timeout` is not a number.
   * Otherwise rejects with whatever the work threw.
   *
   * @example
   * ```ts
   * import { SynchronousExecutor } from "@fjord/fjord/futures";
   * import assert from "node:assert/strict";
   *
   * const f = new SynchronousExecutor().submit(() => { throw new RangeError("no"); });
   * await assert.rejects(f.result({ timeout: 1000 }), RangeError);
   * ```
   */
  result(options: FutureWaitOptions = {}): Promise<T> {
    return this.#wait(options).then(() => {
      if (this.#state === FINISHED) return this.#value as T;
      if (this.#state === CANCELLED) throw new CancelledError();
      throw this.#value;
    });
  }

  /**
   * Waits for the future and returns what it failed with.
   *
   * @param options `timeout` (ms), `signal`, `clock`.
   * @returns The thrown value, or `undefined` after success.
   * @throws {CancelledError} When the future was cancelled.
   * @throws {DOMException} `TimeoutError` when `timeout` passes first, or `signal.reason`.
   *
   * @example
   * ```ts
   * import { SynchronousExecutor } from "@fjord/fjord/futures";
   * import assert from "node:assert/strict";
   *
   * const ex = new SynchronousExecutor();
   * assert.equal(await ex.submit(() => 1).exception(), undefined);
   * const err = await ex.submit(() => { throw new Error("bad"); }).exception();
   * assert.equal((err as Error).message, "bad");
   * ```
   */
  exception(options: FutureWaitOptions = {}): Promise<unknown> {
    return this.#wait(options).then(() => {
      if (this.#state === FAILED) return this.#value;
      if (this.#state === CANCELLED) throw new CancelledError();
      return undefined;
    });
  }

  /**
   * Calls `cb(future)` when the future is done, at once if it already is. Errors thrown by `cb`
   * (or the rejection of the promise an async `cb` returns) are logged and swallowed, never
   * thrown into the executor.
   *
   * @param cb The callback.
   * @throws {TypeError} When `cb` is not a function.
   *
   * @example
   * ```ts
   * import { SynchronousExecutor } from "@fjord/fjord/futures";
   * import assert from "node:assert/strict";
   *
   * const seen: number[] = [];
   * const f = new SynchronousExecutor().submit(() => 7);
   * f.addDoneCallback(() => seen.push(1));
   * assert.deepEqual(seen, [1]);
   * ```
   */
  addDoneCallback(cb: (future: Future<T>) => void): void {
    if (typeof cb !== "function") {
      throw new TypeError(
        `Cannot add done callback as 'cb' must be a function: current value is ${
          describeValue(cb)
        }`,
      );
    }
    if (this.#state >= FINISHED) {
      this.#invoke(cb as (f: Future<never>) => void);
      return;
    }
    this.#add(cb as (f: Future<never>) => void);
  }

  /**
   * Makes the future awaitable: resolves with the result, rejects with the failure.
   *
   * @param onfulfilled Called with the result.
   * @param onrejected Called with the failure.
   * @returns A promise for the callbacks' outcome.
   *
   * @example
   * ```ts
   * import { SynchronousExecutor } from "@fjord/fjord/futures";
   * import assert from "node:assert/strict";
   *
   * assert.equal(await new SynchronousExecutor().submit(() => "hi"), "hi");
   * ```
   */
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.result().then(onfulfilled, onrejected);
  }

  // Throws for bad options, at the call of result() or exception() (API.md: failing fast).
  #wait(options: FutureWaitOptions): Promise<void> {
    checkWaitOptions(options, "wait for future");
    const { timeout, signal, clock = systemClock } = options;
    if (this.#state >= FINISHED) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      let stopTimer: AbortController | undefined;
      const onAbort = (): void => {
        remove();
        stopTimer?.abort();
        reject(signal!.reason);
      };
      const remove = futureInternals.onDone(this as Future<unknown>, () => {
        stopTimer?.abort();
        signal?.removeEventListener("abort", onAbort);
        resolve();
      });
      if (this.#state >= FINISHED) return;
      signal?.addEventListener("abort", onAbort, { once: true });
      if (timeout !== undefined) {
        stopTimer = new AbortController();
        clock.sleep(timeout, { signal: stopTimer.signal }).then(() => {
          remove();
          signal?.removeEventListener("abort", onAbort);
          reject(new DOMException(`Future not done after ${timeout} ms`, "TimeoutError"));
        }, () => {});
      }
    });
  }

  #add(cb: (f: Future<never>) => void): void {
    if (this.#callback === undefined && this.#callbacks === undefined) this.#callback = cb;
    else {
      const list = (this.#callbacks ??= []);
      if (this.#callback !== undefined) {
        list.push(this.#callback);
        this.#callback = undefined;
      }
      list.push(cb);
    }
  }

  #remove(cb: (f: Future<never>) => void): void {
    if (this.#callback === cb) this.#callback = undefined;
    else if (this.#callbacks !== undefined) {
      // Spliced, not nulled: a future polled with result({ timeout }) for ever would grow its
      // list, and each lookup with it (#settle iterates a list it has already detached).
      const i = this.#callbacks.indexOf(cb);
      if (i >= 0) this.#callbacks.splice(i, 1);
      if (this.#callbacks.length === 0) this.#callbacks = undefined;
    }
  }

  #settle(state: State, value: unknown): void {
    if (this.#state >= FINISHED) return;
    this.#state = state;
    this.#value = value;
    if (state === CANCELLED && this.#onCancel !== undefined) this.#invoke(this.#onCancel);
    const one = this.#callback;
    if (one !== undefined) {
      this.#callback = undefined;
      this.#invoke(one);
      return;
    }
    const list = this.#callbacks;
    if (list === undefined) return;
    this.#callbacks = undefined;
    for (const cb of list) this.#invoke(cb);
  }

  #invoke(cb: (f: Future<never>) => void): void {
    try {
      const returned: unknown = cb(this as unknown as Future<never>);
      // An async callback fails by rejecting: unhandled, that rejection would end the process.
      if (
        returned !== undefined && typeof (returned as PromiseLike<unknown>)?.then === "function"
      ) {
        (returned as PromiseLike<unknown>).then(undefined, (err) => callbackFailed(cb, err));
      }
    } catch (err) {
      callbackFailed(cb, err);
    }
  }
}

function callbackFailed(cb: (f: Future<never>) => void, err: unknown): void {
  getLogger().error(`Failed to call done callback ${cb.name || "<anonymous>"}`, err);
}
