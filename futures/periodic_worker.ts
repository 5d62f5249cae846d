/**
 * {@linkcode PeriodicWorker}: runs {@linkcode periodic} callbacks on a schedule
 * (futurist's `periodics.PeriodicWorker`).
 *
 * @module
 */

import { type Clock, systemClock } from "../runtime/clock.ts";
import { checkClock } from "../runtime/_check_clock.ts";
import { describeValue } from "../runtime/_describe.ts";
import { getLogger } from "../runtime/logger.ts";
import { checkWaitOptions } from "./_timeout.ts";
import type { Executor } from "./executor.ts";
import type { Future } from "./future.ts";
import { ExecutorShutdownError, RejectedSubmissionError } from "./errors.ts";
import { isPeriodic, NeverAgain, type PeriodicFn } from "./periodic.ts";
import { SynchronousExecutor } from "./synchronous_executor.ts";

/**
 * How the next run of a callback is computed from its last run: from when it started
 * (`last_started`), when it finished (`last_finished`), or the next multiple of the spacing after
 * it finished (`aligned_last_finished`); the `_jitter` variants add up to 5 % of the spacing.
 *
 * @example Spacing measured from the end of each run
 * ```ts
 * import { FakeClock } from "@fjord/fjord";
 * import { periodic, PeriodicWorker, type ScheduleStrategy } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * using clock = new FakeClock();
 * const starts: number[] = [];
 * const slow = periodic(100, { runImmediately: true })(async () => {
 *   starts.push(clock.now());
 *   await clock.sleep(50);
 * });
 * const scheduleStrategy: ScheduleStrategy = "last_finished";
 * const worker = new PeriodicWorker([[slow]], { clock, scheduleStrategy });
 * const running = worker.start();
 * await clock.tickAsync(300);
 * worker.stop();
 * await clock.tickAsync(50);
 * await running;
 * assert.deepEqual(starts, [0, 150, 300]);
 * ```
 */
export type ScheduleStrategy =
  | "last_started"
  | "last_started_jitter"
  | "last_finished"
  | "last_finished_jitter"
  | "aligned_last_finished"
  | "aligned_last_finished_jitter";

/**
 * Options for {@linkcode PeriodicWorker}.
 *
 * @example Reporting failures on a fake clock
 * ```ts
 * import { FakeClock } from "@fjord/fjord";
 * import { periodic, PeriodicWorker, type PeriodicWorkerOptions } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * using clock = new FakeClock();
 * const kinds: unknown[] = [];
 * const options: PeriodicWorkerOptions = {
 *   clock,
 *   scheduleStrategy: "last_started",
 *   onFailure: (_fn, kind) => kinds.push(kind),
 * };
 * const flaky = periodic(100, { runImmediately: true })(() => {
 *   throw new Error("backend down");
 * });
 * const worker = new PeriodicWorker([[flaky]], options);
 * const running = worker.start();
 * await clock.tickAsync(100);
 * worker.stop();
 * await running;
 * assert.deepEqual(kinds, ["immediate", "periodic"]);
 * ```
 */
export interface PeriodicWorkerOptions {
  /**
   * Makes the executor callbacks run on, once per `start()`; it is shut down when the worker
   * stops. It must accept plain functions (default: a new {@linkcode SynchronousExecutor}, so
   * callbacks run one at a time; an `AsyncPoolExecutor` lets different callbacks overlap).
   */
  executorFactory?: () => Executor;
  /** Default `"last_started"`. */
  scheduleStrategy?: ScheduleStrategy;
  /** The clock runs are scheduled on (default `systemClock`). */
  clock?: Clock;
  /**
   * Called as `onFailure(fn, kind, spacing, error)` when a callback throws (not for
   * {@linkcode NeverAgain}); `kind` is `"periodic"` or `"immediate"`. Default: log an error.
   */
  onFailure?: (...args: unknown[]) => void;
}

/**
 * Options for {@linkcode PeriodicWorker.start}.
 *
 * @example Starting empty and adding callbacks later
 * ```ts
 * import { FakeClock } from "@fjord/fjord";
 * import { periodic, PeriodicWorker, type PeriodicWorkerStartOptions } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * using clock = new FakeClock();
 * const worker = new PeriodicWorker([], { clock });
 * const options: PeriodicWorkerStartOptions = { allowEmpty: true };
 * const running = worker.start(options);
 * let runs = 0;
 * worker.add(periodic(100)(() => runs++));
 * await clock.tickAsync(100);
 * worker.stop();
 * await running;
 * assert.equal(runs, 1);
 * ```
 */
export interface PeriodicWorkerStartOptions {
  /** Start (and idle) without callbacks, waiting for `add()` (default `false`). */
  allowEmpty?: boolean;
  /** Stop once every callback has raised NeverAgain and nothing is left to run (default `false`). */
  autoStopWhenEmpty?: boolean;
}

/**
 * Options for {@linkcode PeriodicWorker.wait}; the timeout runs on the worker's clock.
 *
 * @example
 * ```ts
 * import { FakeClock } from "@fjord/fjord";
 * import { periodic, PeriodicWorker, type PeriodicWorkerWaitOptions } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * using clock = new FakeClock();
 * const worker = new PeriodicWorker([[periodic(1000)(() => {})]], { clock });
 * const options: PeriodicWorkerWaitOptions = { timeout: 50 };
 * const waited = worker.wait(options);
 * clock.tick(50);
 * assert.equal(await waited, false);
 * ```
 */
export interface PeriodicWorkerWaitOptions {
  /** Give up after this many ms (resolves `false`). */
  timeout?: number;
  /** Aborting rejects with `signal.reason`. */
  signal?: AbortSignal;
}

interface Metrics {
  runs: number;
  successes: number;
  failures: number;
  elapsed: number;
  elapsedWaiting: number;
  requestedStop: boolean;
}

interface Entry {
  fn: PeriodicFn;
  args: unknown[];
  name: string;
  spacing: number;
  runImmediately: boolean;
  metrics: Metrics;
  watcher: Watcher;
}

const STRATEGIES: readonly ScheduleStrategy[] = [
  "aligned_last_finished",
  "aligned_last_finished_jitter",
  "last_finished",
  "last_finished_jitter",
  "last_started",
  "last_started_jitter",
];

const MAX_LOOP_IDLE_MS = 30_000;
const RESCHEDULE_DELAY_MS = 900;
const RESCHEDULE_JITTER_MS = 200;
const JITTER = 0.05;

function jitter(spacing: number): number {
  return spacing * JITTER * Math.random();
}

/** The next run time of a callback whose run started at `s` and finished at `f` (ms). */
function nextRun(strategy: ScheduleStrategy, spacing: number, s: number, f: number): number {
  switch (strategy) {
    case "last_started":
      return s + spacing;
    case "last_started_jitter":
      return s + spacing + jitter(spacing);
    case "last_finished":
      return f + spacing;
    case "last_finished_jitter":
      return f + spacing + jitter(spacing);
    case "aligned_last_finished":
      return f - (f % spacing) + spacing;
    case "aligned_last_finished_jitter":
      return f - (f % spacing) + spacing + jitter(spacing);
  }
}

function newMetrics(): Metrics {
  return {
    runs: 0,
    successes: 0,
    failures: 0,
    elapsed: 0,
    elapsedWaiting: 0,
    requestedStop: false,
  };
}

/**
 * A live, read-only view of one callback's counters (futurist's `Watcher`). Times are ms.
 *
 * @example
 * ```ts
 * import { periodic, PeriodicWorker } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * const w = new PeriodicWorker([[periodic(1000)(function beat() {})]]);
 * const [watcher] = w.iterWatchers();
 * assert.equal(watcher!.name, "beat");
 * assert.equal(watcher!.runs, 0);
 * assert.equal(watcher!.averageElapsed, 0);
 * ```
 */
export class Watcher {
  #m: Metrics;
  /** The callback's name. */
  readonly name: string;

  /**
   * Wraps live counters (created by {@linkcode PeriodicWorker}).
   *
   * @param name The callback's name.
   * @param metrics The counters to read.
   */
  constructor(name: string, metrics: Metrics) {
    this.name = name;
    this.#m = metrics;
  }

  /** Completed runs. */
  get runs(): number {
    return this.#m.runs;
  }
  /** Runs that did not fail (NeverAgain included). */
  get successes(): number {
    return this.#m.successes;
  }
  /** Runs that threw (NeverAgain excluded). */
  get failures(): number {
    return this.#m.failures;
  }
  /** Σ(finished − started) in ms. */
  get elapsed(): number {
    return this.#m.elapsed;
  }
  /** Σ(started − submitted) in ms. */
  get elapsedWaiting(): number {
    return this.#m.elapsedWaiting;
  }
  /** `elapsed / runs`, 0 when `runs` is 0. */
  get averageElapsed(): number {
    return this.#m.runs === 0 ? 0 : this.#m.elapsed / this.#m.runs;
  }
  /** `elapsedWaiting / runs`, 0 when `runs` is 0. */
  get averageElapsedWaiting(): number {
    return this.#m.runs === 0 ? 0 : this.#m.elapsedWaiting / this.#m.runs;
  }
  /** `true` after the callback raised {@linkcode NeverAgain}. */
  get requestedStop(): boolean {
    return this.#m.requestedStop;
  }
}

/**
 * Runs {@linkcode periodic} callbacks on a schedule until stopped (futurist's `PeriodicWorker`).
 *
 * A callback is rescheduled only when its run completes, so it never overlaps itself; the six
 * strategies decide the next run from when it started (`S`) and finished (`F`), with spacing
 * `s`: `last_started` `S + s`, `last_finished` `F + s`, `aligned_last_finished` the next
 * multiple of `s` after `F` (on the clock), and `*_jitter` adding `s × U[0, 0.05)`. The first
 * run is `s` after construction, `add()` or `reset()`, or at once with `runImmediately`.
 * A callback that throws is counted as a failure and reported to `onFailure`; one that throws
 * {@linkcode NeverAgain} is removed.
 *
 * @example
 * ```ts
 * import { FakeClock } from "@fjord/fjord";
 * import { periodic, PeriodicWorker } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * using clock = new FakeClock();
 * const times: number[] = [];
 * const beat = periodic(200, { runImmediately: true })(() => { times.push(clock.now()); });
 * const worker = new PeriodicWorker([[beat]], { clock });
 * const running = worker.start();
 * await clock.tickAsync(600);
 * worker.stop();
 * await running;
 * assert.deepEqual(times, [0, 200, 400, 600]);
 * ```
 */
export class PeriodicWorker implements AsyncDisposable {
  #entries: Entry[] = [];
  #heap: [number, number][] = [];
  #immediates: number[] = [];
  #factory: () => Executor;
  #strategy: ScheduleStrategy;
  #clock: Clock;
  #onFailure: ((...args: unknown[]) => void) | undefined;
  #tombstone = false;
  #active = false;
  #dead = false;
  #deadWaiters: (() => void)[] = [];
  #inflight = 0;
  #inflightWaiters: (() => void)[] = [];
  #wakeCtl = new AbortController();
  #generation = 0;

  /**
   * Creates the worker; disabled callbacks are skipped.
   *
   * @param callables `[fn, args?]` pairs; every `fn` must come from {@linkcode periodic}.
   * @param options `executorFactory`, `scheduleStrategy`, `clock`, `onFailure`.
   * @throws {TypeError} When a callable is not a periodic function, `onFailure` /
   *   `executorFactory` is not a function, or `clock` is not a Clock.
   * @throws {RangeError} When `scheduleStrategy` is unknown.
   */
  constructor(
    callables: Iterable<readonly [PeriodicFn, unknown[]?]>,
    options: PeriodicWorkerOptions = {},
  ) {
    const {
      executorFactory = () => new SynchronousExecutor({ clock: this.#clock }),
      scheduleStrategy = "last_started",
      clock = systemClock,
      onFailure,
    } = options;
    checkClock(options.clock, "create PeriodicWorker");
    if (onFailure !== undefined && typeof onFailure !== "function") {
      throw new TypeError(
        `Cannot create PeriodicWorker as 'onFailure' must be a function: current value is ${
          describeValue(onFailure)
        }`,
      );
    }
    if (typeof executorFactory !== "function") {
      throw new TypeError(
        `Cannot create PeriodicWorker as 'executorFactory' must be a function: current value is ${
          describeValue(executorFactory)
        }`,
      );
    }
    if (!STRATEGIES.includes(scheduleStrategy)) {
      throw new RangeError(
        `Cannot create PeriodicWorker as 'scheduleStrategy' must be one of ${
          STRATEGIES.join(", ")
        }: current value is ${describeValue(scheduleStrategy)}`,
      );
    }
    this.#clock = clock;
    this.#factory = executorFactory;
    this.#strategy = scheduleStrategy;
    this.#onFailure = onFailure;
    const list = [...callables];
    for (const item of list) PeriodicWorker.#check(item?.[0]);
    for (const [fn, args] of list) this.#register(fn, args ?? []);
  }

  /** Number of registered (enabled) callbacks. */
  get size(): number {
    return this.#entries.length;
  }

  /**
   * Runs callbacks until {@linkcode PeriodicWorker.stop} (or auto-stop). On the way out it waits
   * for callbacks in flight, shuts the executor down, and marks the worker dead.
   *
   * @param options `allowEmpty`, `autoStopWhenEmpty`.
   * @returns Resolves when the worker has stopped; rejects when the executor fails a submission
   *   with anything but a refusal (`RejectedSubmissionError` / `ExecutorShutdownError` are
   *   logged and retried after ~1 s), e.g. a `TypeError` from a pool that only takes TaskRefs.
   * @throws {DOMException} `InvalidStateError`, synchronously, when already running, or when
   *   there are no callbacks and `allowEmpty` is not set.
   * @throws {TypeError} Synchronously, when `executorFactory` returns no executor.
   *
   * @example
   * ```ts
   * import { FakeClock } from "@fjord/fjord";
   * import { NeverAgain, periodic, PeriodicWorker } from "@fjord/fjord/futures";
   * import assert from "node:assert/strict";
   *
   * using clock = new FakeClock();
   * let n = 0;
   * const thrice = periodic(100)(() => { if (++n === 3) throw new NeverAgain(); });
   * const worker = new PeriodicWorker([[thrice]], { clock });
   * const done = worker.start({ autoStopWhenEmpty: true });
   * await clock.runAll();
   * await done;
   * assert.equal(n, 3);
   * ```
   */
  start(options: PeriodicWorkerStartOptions = {}): Promise<void> {
    const { allowEmpty = false, autoStopWhenEmpty = false } = options;
    if (this.#active) {
      throw new DOMException("A periodic worker can not be started twice", "InvalidStateError");
    }
    if (this.#entries.length === 0 && !allowEmpty) {
      throw new DOMException(
        "A periodic worker can not start without any callables to process",
        "InvalidStateError",
      );
    }
    const executor = this.#factory();
    if (
      typeof executor !== "object" || executor === null ||
      typeof executor.submit !== "function" || typeof executor.shutdown !== "function"
    ) {
      throw new TypeError(
        `Cannot start PeriodicWorker as 'executorFactory' must return an Executor: current value is ${
          describeValue(executor)
        }`,
      );
    }
    this.#active = true;
    this.#dead = false;
    return this.#run(executor, autoStopWhenEmpty);
  }

  /**
   * Asks the worker to stop; callbacks already running finish first. Idempotent.
   *
   * @example
   * ```ts
   * import { periodic, PeriodicWorker } from "@fjord/fjord/futures";
   * import assert from "node:assert/strict";
   *
   * const worker = new PeriodicWorker([[periodic(60_000)(() => {})]]);
   * const running = worker.start();
   * worker.stop();
   * await running;
   * assert.equal(await worker.wait({ timeout: 0 }), true);
   * ```
   */
  stop(): void {
    this.#tombstone = true;
    this.#wake();
  }

  /**
   * Waits until the worker has stopped.
   *
   * @param options `timeout` (ms), `signal`.
   * @returns `true` once stopped; `false` when `timeout` passed first (also before `start()`).
   * @throws {RangeError} When `timeout` is negative or NaN.
   * @throws {TypeError} When `timeout` is not a number.
   *
   * @example
   * ```ts
   * import { periodic, PeriodicWorker } from "@fjord/fjord/futures";
   * import assert from "node:assert/strict";
   *
   * const worker = new PeriodicWorker([[periodic(1000)(() => {})]]);
   * assert.equal(await worker.wait({ timeout: 0 }), false);
   * ```
   */
  wait(options: PeriodicWorkerWaitOptions = {}): Promise<boolean> {
    checkWaitOptions(options, "wait for PeriodicWorker");
    const { timeout, signal } = options;
    if (this.#dead) return Promise.resolve(true);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (timeout === 0) return Promise.resolve(false);
    return new Promise<boolean>((resolve, reject) => {
      const stopTimer = new AbortController();
      const onDead = (): void => {
        stopTimer.abort();
        signal?.removeEventListener("abort", onAbort);
        resolve(true);
      };
      const onAbort = (): void => {
        this.#deadWaiters.splice(this.#deadWaiters.indexOf(onDead) >>> 0, 1);
        stopTimer.abort();
        reject(signal!.reason);
      };
      this.#deadWaiters.push(onDead);
      signal?.addEventListener("abort", onAbort, { once: true });
      if (timeout !== undefined) {
        this.#clock.sleep(timeout, { signal: stopTimer.signal }).then(() => {
          const i = this.#deadWaiters.indexOf(onDead);
          if (i >= 0) this.#deadWaiters.splice(i, 1);
          signal?.removeEventListener("abort", onAbort);
          resolve(false);
        }, () => {});
      }
    });
  }

  /**
   * Adds a callback, also while running (the loop wakes to schedule it).
   *
   * @param fn A function from {@linkcode periodic}.
   * @param args Its arguments.
   * @returns Its watcher, or `undefined` when `fn` is disabled.
   * @throws {TypeError} When `fn` is not a periodic function.
   *
   * @example
   * ```ts
   * import { periodic, PeriodicWorker } from "@fjord/fjord/futures";
   * import assert from "node:assert/strict";
   *
   * const worker = new PeriodicWorker([]);
   * assert.equal(worker.add(periodic(0, { enabled: false })(() => {})), undefined);
   * assert.equal(worker.add(periodic(10)((x: number) => x), 1)?.runs, 0);
   * assert.equal(worker.size, 1);
   * ```
   */
  add(fn: PeriodicFn, ...args: unknown[]): Watcher | undefined {
    PeriodicWorker.#check(fn);
    const entry = this.#register(fn, args);
    this.#wake();
    return entry?.watcher;
  }

  /**
   * Clears a stop request and the dead state, zeroes every counter and rebuilds the schedule
   * (immediate callbacks run again). Needed before starting a stopped worker again.
   *
   * @example
   * ```ts
   * import { periodic, PeriodicWorker } from "@fjord/fjord/futures";
   * import assert from "node:assert/strict";
   *
   * const worker = new PeriodicWorker([[periodic(60_000)(() => {})]]);
   * const first = worker.start();
   * worker.stop();
   * await first;
   * worker.reset();
   * assert.equal(await worker.wait({ timeout: 0 }), false);
   * ```
   */
  reset(): void {
    this.#tombstone = false;
    this.#dead = false;
    this.#generation++;
    this.#heap = [];
    this.#immediates = [];
    const now = this.#clock.now();
    this.#entries.forEach((entry, index) => {
      Object.assign(entry.metrics, newMetrics());
      this.#schedule(entry, index, now);
    });
    this.#wake();
  }

  /**
   * The callbacks' watchers, in registration order.
   *
   * @returns An iterable of {@linkcode Watcher}s.
   *
   * @example
   * ```ts
   * import { periodic, PeriodicWorker } from "@fjord/fjord/futures";
   * import assert from "node:assert/strict";
   *
   * const w = new PeriodicWorker([[periodic(10)(function a() {})], [periodic(10)(function b() {})]]);
   * assert.deepEqual([...w.iterWatchers()].map((x) => x.name), ["a", "b"]);
   * ```
   */
  *iterWatchers(): IterableIterator<Watcher> {
    for (const entry of this.#entries) yield entry.watcher;
  }

  /**
   * `stop()`, then waits for `start()` to finish.
   *
   * @returns Resolves once stopped (at once if never started).
   *
   * @example
   * ```ts
   * import { periodic, PeriodicWorker } from "@fjord/fjord/futures";
   *
   * await using worker = new PeriodicWorker([[periodic(60_000)(() => {})]]);
   * worker.start();
   * ```
   */
  async [Symbol.asyncDispose](): Promise<void> {
    this.stop();
    if (this.#active) await this.wait();
  }

  static #check(fn: unknown): asserts fn is PeriodicFn {
    if (!isPeriodic(fn)) {
      throw new TypeError(
        `Cannot use periodic callback as it must be a function marked with periodic(): current value is ${
          describeValue(fn)
        }`,
      );
    }
  }

  #register(fn: PeriodicFn, args: unknown[]): Entry | undefined {
    const spec = fn.periodic;
    if (!spec.enabled) return undefined;
    const metrics = newMetrics();
    const name = fn.name || "<anonymous>";
    const entry: Entry = {
      fn,
      args,
      name,
      spacing: spec.spacing,
      runImmediately: spec.runImmediately,
      metrics,
      watcher: new Watcher(name, metrics),
    };
    const index = this.#entries.push(entry) - 1;
    this.#schedule(entry, index, this.#clock.now());
    return entry;
  }

  #schedule(entry: Entry, index: number, now: number): void {
    if (entry.runImmediately) this.#immediates.push(index);
    else this.#push(now + entry.spacing, index);
  }

  #push(when: number, index: number): void {
    const heap = this.#heap;
    heap.push([when, index]);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!PeriodicWorker.#less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  #pop(): [number, number] | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last !== undefined) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < heap.length && PeriodicWorker.#less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && PeriodicWorker.#less(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  }

  static #less(a: [number, number], b: [number, number]): boolean {
    return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
  }

  #wake(): void {
    this.#wakeCtl.abort();
  }

  async #sleep(ms: number): Promise<void> {
    const ctl = this.#wakeCtl;
    if (!ctl.signal.aborted) {
      try {
        await this.#clock.sleep(Math.min(ms, MAX_LOOP_IDLE_MS), { signal: ctl.signal });
      } catch {
        // Woken early by add(), stop() or a completion.
      }
    }
    if (ctl.signal.aborted) this.#wakeCtl = new AbortController();
  }

  async #run(executor: Executor, autoStop: boolean): Promise<void> {
    // Like futurist's, an inline executor runs one callback at a time: the loop waits for an
    // async callback to finish before it submits the next one.
    const inline = executor instanceof SynchronousExecutor;
    try {
      while (!this.#tombstone) {
        const index = this.#immediates.shift();
        if (index !== undefined) {
          const future = this.#submit(executor, index, "immediate");
          if (future === undefined) {
            this.#immediates.push(index);
            await this.#sleep(RESCHEDULE_DELAY_MS + Math.random() * RESCHEDULE_JITTER_MS);
          } else if (inline) await PeriodicWorker.#settled(future);
          continue;
        }
        const top = this.#heap[0];
        if (top === undefined) {
          if (autoStop && this.#inflight === 0) break;
          await this.#sleep(MAX_LOOP_IDLE_MS);
          continue;
        }
        const now = this.#clock.now();
        if (top[0] - now > 0) {
          await this.#sleep(top[0] - now);
          continue;
        }
        this.#pop();
        const future = this.#submit(executor, top[1], "periodic");
        if (future === undefined) {
          this.#push(
            this.#clock.now() + RESCHEDULE_DELAY_MS + Math.random() * RESCHEDULE_JITTER_MS,
            top[1],
          );
        } else if (inline) await PeriodicWorker.#settled(future);
      }
    } finally {
      if (this.#inflight > 0) {
        await new Promise<void>((resolve) => this.#inflightWaiters.push(resolve));
      }
      try {
        await executor.shutdown({ wait: true });
      } finally {
        this.#active = false;
        this.#dead = true;
        for (const w of this.#deadWaiters.splice(0)) w();
      }
    }
  }

  static #settled(future: Future<void>): Promise<void> {
    return new Promise((resolve) => future.addDoneCallback(() => resolve()));
  }

  /** Submits one run; `undefined` when the executor refused it (it is retried later). */
  #submit(
    executor: Executor,
    index: number,
    kind: "periodic" | "immediate",
  ): Future<void> | undefined {
    const entry = this.#entries[index]!;
    const clock = this.#clock;
    const generation = this.#generation;
    const submittedAt = clock.now();
    let ran = false;
    let startedAt = 0;
    // The run was accounted for: by itself, or by its future when the executor gave up first.
    let counted = false;
    const run = async (): Promise<void> => {
      ran = true;
      startedAt = clock.now();
      let failed = false;
      let error: unknown;
      try {
        await entry.fn(...entry.args);
      } catch (err) {
        failed = true;
        error = err;
      }
      if (counted) return;
      counted = true;
      this.#completed(entry, index, kind, generation, submittedAt, startedAt, failed, error);
    };
    let future: Future<void>;
    try {
      future = executor.submit(run);
    } catch (err) {
      // Like futurist: only refusals are retried; anything else (e.g. an executor that does not
      // take plain functions) ends start() with that error.
      if (!(err instanceof RejectedSubmissionError || err instanceof ExecutorShutdownError)) {
        // Still due: a later start() runs it.
        if (kind === "immediate") this.#immediates.unshift(index);
        else this.#push(clock.now(), index);
        throw err;
      }
      getLogger().error(
        kind === "immediate"
          ? `Failed to submit immediate callback '${entry.name}', retrying.`
          : `Failed to submit periodic callback '${entry.name}', retrying after ~${RESCHEDULE_DELAY_MS} ms.`,
        err,
      );
      return undefined;
    }
    this.#inflight++;
    future.addDoneCallback(() => {
      if (counted) return;
      counted = true;
      if (!ran) {
        // Cancelled (or failed) without running, e.g. by whoever owns the executor: treat it
        // as a run that never happened, or start() would wait for it forever.
        if (generation === this.#generation) this.#push(clock.now() + entry.spacing, index);
        this.#finished();
        return;
      }
      // Started, and the executor gave up on it (its taskTimeout, or shutdown's timeout): a
      // failed run (its late outcome is ignored), or start() would wait for it forever.
      future.exception().then((err) => err, (err) => err).then((err) => {
        this.#completed(entry, index, kind, generation, submittedAt, startedAt, true, err);
      });
    });
    return future;
  }

  #completed(
    entry: Entry,
    index: number,
    kind: "periodic" | "immediate",
    generation: number,
    submittedAt: number,
    startedAt: number,
    failed: boolean,
    error: unknown,
  ): void {
    const finishedAt = this.#clock.now();
    let again = true;
    if (generation === this.#generation) {
      const m = entry.metrics;
      m.runs++;
      if (failed && error instanceof NeverAgain) {
        m.successes++;
        m.requestedStop = true;
        again = false;
      } else if (failed) {
        m.failures++;
        this.#reportFailure(entry, kind, error);
      } else {
        m.successes++;
      }
      m.elapsed += Math.max(0, finishedAt - startedAt);
      m.elapsedWaiting += Math.max(0, startedAt - submittedAt);
      if (again) {
        this.#push(nextRun(this.#strategy, entry.spacing, startedAt, finishedAt), index);
      }
    }
    this.#finished();
  }

  #finished(): void {
    this.#inflight--;
    if (this.#inflight === 0) {
      for (const w of this.#inflightWaiters.splice(0)) w();
    }
    this.#wake();
  }

  #reportFailure(entry: Entry, kind: string, error: unknown): void {
    const onFailure = this.#onFailure;
    if (onFailure === undefined) {
      getLogger().error(
        `Failed to call ${kind} '${entry.name}' (it runs every ${entry.spacing} ms)`,
        error,
      );
      return;
    }
    try {
      onFailure(entry.fn, kind, entry.spacing, error);
    } catch (err) {
      getLogger().error(`Failed to call 'onFailure' for '${entry.name}'`, err);
    }
  }
}
