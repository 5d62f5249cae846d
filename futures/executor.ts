/**
 * The {@linkcode Executor} interface and {@linkcode BaseExecutor}, the queue, statistics and
 * shutdown logic every fjord executor shares.
 *
 * @module
 */

import { type Clock, systemClock } from "../runtime/clock.ts";
import { getLogger } from "../runtime/logger.ts";
import { isTaskRef, taskModuleUrl, type TaskRef } from "../runtime/task_ref.ts";
import { futureInternals } from "./_future_control.ts";
import { executorInternals } from "./_executor_internals.ts";
import { type Runner, runnerFactories, type RunnerHost, type Work } from "./_runner.ts";
import { ExecutorShutdownError } from "./errors.ts";
import { Future } from "./future.ts";
import type { RejectFn } from "./rejection.ts";
import { ExecutorStatistics } from "./statistics.ts";

/**
 * A function an executor can run: its value (or promise) becomes the future's result.
 *
 * @typeParam T The result type.
 *
 * @example
 * ```ts
 * import { SynchronousExecutor, type TaskFn } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * const double: TaskFn<number> = (x: number) => x * 2;
 * const ex = new SynchronousExecutor();
 * assert.equal(await ex.submit(double, 21), 42);
 * ```
 */
// deno-lint-ignore no-explicit-any
export type TaskFn<T = unknown> = (...args: any[]) => T | Promise<T>;

/**
 * Options for {@linkcode Executor.shutdown}.
 *
 * @example Cancelling queued work, letting running work finish
 * ```ts
 * import { AsyncPoolExecutor, type ShutdownOptions } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * const ex = new AsyncPoolExecutor({ maxWorkers: 1 });
 * const started = Promise.withResolvers<void>();
 * const gate = Promise.withResolvers<string>();
 * const running = ex.submit(() => {
 *   started.resolve();
 *   return gate.promise;
 * });
 * const queued = ex.submit(() => "never");
 * await started.promise;
 * const options: ShutdownOptions = { wait: true, cancelFutures: true };
 * const closing = ex.shutdown(options);
 * assert.ok(queued.cancelled());
 * gate.resolve("finished");
 * await closing;
 * assert.equal(await running, "finished");
 * assert.equal(ex.alive, false);
 * ```
 */
export interface ShutdownOptions {
  /** Wait until all queued and running work is done and resources are released (default `true`). */
  wait?: boolean;
  /** Cancel work that has not started (default `false`). */
  cancelFutures?: boolean;
}

/**
 * Runs submitted work and returns {@linkcode Future}s (futurist's executor interface).
 *
 * @example
 * ```ts
 * import { AsyncPoolExecutor, type Executor } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * async function total(ex: Executor): Promise<number> {
 *   let sum = 0;
 *   for await (const n of ex.map((x: number) => x * 2, [1, 2, 3])) sum += n as number;
 *   return sum;
 * }
 * await using ex = new AsyncPoolExecutor();
 * assert.equal(await total(ex), 12);
 * ```
 */
export interface Executor extends AsyncDisposable {
  /**
   * Schedules `fn(...args)`.
   *
   * @param fn A function, or a {@linkcode TaskRef} (Worker and process pools take only these).
   * @param args Arguments (structured-cloned for Worker and process pools).
   * @returns The work's future.
   */
  submit<T>(fn: TaskFn<T> | TaskRef, ...args: unknown[]): Future<Awaited<T>>;
  /**
   * Submits `fn(item)` for every item at once and yields the results in order.
   *
   * @param fn A function or {@linkcode TaskRef} taking one item.
   * @param items The items.
   * @returns The results, in `items` order.
   */
  map<T, R>(fn: ((item: T) => R | Promise<R>) | TaskRef, items: Iterable<T>): AsyncIterable<R>;
  /**
   * Stops accepting work.
   *
   * @param options `wait`, `cancelFutures`.
   * @returns Resolves when shut down (at once with `wait: false`).
   */
  shutdown(options?: ShutdownOptions): Promise<void>;
  /** `false` once `shutdown()` was called. */
  readonly alive: boolean;
  /** A snapshot of the counters. */
  readonly statistics: ExecutorStatistics;
}

/**
 * Options shared by the pool executors.
 *
 * @example At most two tasks at once, at most eight waiting
 * ```ts
 * import { AsyncPoolExecutor, type PoolExecutorOptions, rejectWhenReached } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * const options: PoolExecutorOptions = { maxWorkers: 2, checkAndReject: rejectWhenReached(8) };
 * await using ex = new AsyncPoolExecutor(options);
 * let active = 0;
 * let peak = 0;
 * const job = async (): Promise<void> => {
 *   peak = Math.max(peak, ++active);
 *   await new Promise((r) => setTimeout(r, 1));
 *   active--;
 * };
 * await Promise.all([1, 2, 3, 4, 5].map(() => ex.submit(job)));
 * assert.equal(peak, 2);
 * ```
 */
export interface PoolExecutorOptions {
  /** How many tasks run at once (Worker/process pools: how many Workers/processes). */
  maxWorkers?: number;
  /** Called with the backlog before work is queued; throwing refuses the submission. */
  checkAndReject?: RejectFn;
  /** The clock statistics are measured on (default `systemClock`). */
  clock?: Clock;
}

/**
 * Options of the Worker and process pools.
 *
 * @example One long CPU task per Worker at a time
 * ```ts
 * import { type RemotePoolExecutorOptions, WorkerPoolExecutor } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * const code = "export function square(n) { return n * n; }";
 * const square = { module: `data:text/javascript,${code}`, export: "square" };
 * const options: RemotePoolExecutorOptions = { maxWorkers: 2, tasksPerWorker: 1 };
 * await using ex = new WorkerPoolExecutor(options);
 * const results = await Promise.all([1, 2, 3].map((n) => ex.submit(square, n)));
 * assert.deepEqual(results, [1, 4, 9]);
 * ```
 */
export interface RemotePoolExecutorOptions extends PoolExecutorOptions {
  /**
   * How many tasks each Worker/process is sent before earlier ones finish (default 32; the
   * pool drops to 2 by itself once tasks take over 1 ms each). Pipelining is what makes small
   * tasks cheap; tasks sent ahead count as running and can no longer be cancelled. Use 1 for
   * long, uneven CPU tasks to balance them best.
   */
  tasksPerWorker?: number;
  /** Extra `deno run` flags for child processes (process pool only). */
  denoArgs?: string[];
}

function checkCount(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot create executor as '${name}' must be an integer >= 1: current value is ${value}`,
    );
  }
  return value;
}

/**
 * What every fjord executor shares: a FIFO queue, futurist's statistics, `checkAndReject`,
 * `map()`, and a `shutdown()` that never strands a future. Subclasses only pick how started work
 * runs; use {@linkcode SynchronousExecutor}, {@linkcode AsyncPoolExecutor},
 * {@linkcode WorkerPoolExecutor}, {@linkcode ProcessPoolExecutor} or
 * {@linkcode ThreadPoolExecutor}.
 *
 * @example
 * ```ts
 * import { AsyncPoolExecutor, BaseExecutor } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * await using ex = new AsyncPoolExecutor();
 * assert.ok(ex instanceof BaseExecutor);
 * ```
 */
export abstract class BaseExecutor implements Executor {
  #runner: Runner;
  #clock: Clock;
  #checkAndReject: RejectFn | undefined;
  #inline: boolean;
  #queue: (Work | undefined)[] = [];
  #head = 0;
  #outstanding = 0;
  #shutdown = false;
  #closing: Promise<void> | undefined;
  #drainScheduled = false;
  #draining = false;
  #idleWaiters: (() => void)[] = [];
  #failures = 0;
  #executed = 0;
  #runtime = 0;
  #cancelled = 0;
  #snapshot: ExecutorStatistics | undefined;
  #onFutureCancelled: (f: Future<unknown>) => void;

  static {
    executorInternals.restart = (ex) => {
      if (!ex.#shutdown) return;
      ex.#shutdown = false;
      ex.#closing = undefined;
      ex.#failures =
        ex.#executed =
        ex.#runtime =
        ex.#cancelled =
          0;
      ex.#snapshot = undefined;
    };
  }

  /**
   * Sets up the queue and the runner of the given kind.
   *
   * @param kind How started work runs: `"inline"`, `"async"` (this isolate), `"worker"` (Web
   *   Workers) or `"process"` (child Deno processes).
   * @param options Pool options.
   * @throws {RangeError} When `maxWorkers` or `tasksPerWorker` is not an integer >= 1.
   * @throws {TypeError} When `checkAndReject` is given and is not a function.
   */
  protected constructor(
    kind: "inline" | "async" | "worker" | "process",
    options: RemotePoolExecutorOptions = {},
  ) {
    const { checkAndReject, clock = systemClock } = options;
    if (checkAndReject !== undefined && typeof checkAndReject !== "function") {
      throw new TypeError(
        `Cannot create executor as 'checkAndReject' must be a function: current value is ${
          String(checkAndReject)
        }`,
      );
    }
    this.#checkAndReject = checkAndReject;
    this.#clock = clock;
    this.#inline = kind === "inline";
    const host: RunnerHost = {
      complete: (work, ok, value) => this.#complete(work, ok, value),
      requeue: (works) => this.#requeue(works),
      kick: () => this.#scheduleDrain(),
    };
    const factory = runnerFactories[kind];
    if (factory === undefined) {
      throw new TypeError(`Cannot create executor as 'kind' is unknown: current value is ${kind}`);
    }
    this.#runner = factory(host, {
      maxWorkers: options.maxWorkers === undefined
        ? undefined
        : checkCount(options.maxWorkers, "maxWorkers", 1),
      tasksPerWorker: checkCount(options.tasksPerWorker, "tasksPerWorker", 32),
      denoArgs: options.denoArgs,
    });
    this.#onFutureCancelled = () => {
      this.#cancelled++;
      this.#snapshot = undefined;
      this.#settled();
    };
  }

  /**
   * Schedules `fn(...args)` and returns its future. Pools start work in submission order as
   * slots free up; the synchronous executor runs it inline before returning.
   *
   * @param fn A function, or a {@linkcode TaskRef} (Worker and process pools take only these).
   * @param args Arguments for `fn` (structured-cloned for Worker and process pools).
   * @returns The work's future.
   * @throws {ExecutorShutdownError} After `shutdown()`.
   * @throws {TypeError} When `fn` is neither a function nor a TaskRef, or is a plain function
   *   given to a Worker/process pool.
   * @throws {RejectedSubmissionError} (or whatever `checkAndReject` throws) when refused.
   *
   * @example
   * ```ts
   * import { AsyncPoolExecutor } from "@fjord/fjord/futures";
   * import assert from "node:assert/strict";
   *
   * await using ex = new AsyncPoolExecutor({ maxWorkers: 2 });
   * const f = ex.submit((x: number) => x + 1, 41);
   * assert.equal(await f, 42);
   * ```
   */
  submit<T>(fn: TaskFn<T> | TaskRef, ...args: unknown[]): Future<Awaited<T>> {
    if (this.#shutdown) throw new ExecutorShutdownError();
    let ref: TaskRef | undefined;
    let url = "";
    let func: ((...a: unknown[]) => unknown) | undefined;
    if (typeof fn === "function") {
      if (!this.#runner.acceptsFunctions) {
        throw new TypeError(
          `Cannot submit '${
            fn.name || "<anonymous>"
          }' as this pool runs tasks in other isolates, where closures cannot go: pass a TaskRef ({ module: new URL("./tasks.ts", import.meta.url), export: "name" }) naming an exported function instead`,
        );
      }
      func = fn as (...a: unknown[]) => unknown;
    } else if (isTaskRef(fn)) {
      url = taskModuleUrl(fn, "fn");
      ref = fn;
    } else {
      throw new TypeError(
        `Cannot submit as 'fn' must be a function or a TaskRef: current value is ${String(fn)}`,
      );
    }
    if (this.#checkAndReject !== undefined) {
      this.#checkAndReject(this, this.#backlog());
      // The callback may have shut the executor down; queueing now could strand the work.
      if (this.#shutdown) throw new ExecutorShutdownError();
    }
    const future = new Future<Awaited<T>>();
    const work: Work = {
      future: future as Future<unknown>,
      fn: func,
      ref,
      url,
      args,
      startedAt: 0,
      started: false,
      crashes: 0,
    };
    this.#outstanding++;
    futureInternals.onCancel(future, this.#onFutureCancelled);
    if (this.#inline) {
      futureInternals.setRunning(work.future);
      work.started = true;
      work.startedAt = this.#clock.now();
      this.#runner.start(work);
      return future;
    }
    this.#queue.push(work);
    work.startedAt = this.#clock.now();
    this.#scheduleDrain();
    return future;
  }

  /**
   * Submits `fn(item)` for every item at once (like futurist's `map`) and yields the results in
   * order. Leaving the loop early cancels what has not started.
   *
   * @param fn A function or {@linkcode TaskRef} taking one item.
   * @param items The items.
   * @returns An async iterable of the results; it throws the first failure it reaches.
   * @throws {ExecutorShutdownError} After `shutdown()` (and like `submit()` otherwise); work
   *   submitted before the failing submission is cancelled when possible.
   *
   * @example
   * ```ts
   * import { AsyncPoolExecutor } from "@fjord/fjord/futures";
   * import assert from "node:assert/strict";
   *
   * await using ex = new AsyncPoolExecutor({ maxWorkers: 2 });
   * const out: number[] = [];
   * for await (const v of ex.map(async (x: number) => x * x, [1, 2, 3])) out.push(v);
   * assert.deepEqual(out, [1, 4, 9]);
   * ```
   */
  map<T, R>(
    fn: ((item: T) => R | Promise<R>) | TaskRef,
    items: Iterable<T>,
  ): AsyncIterable<R> {
    const futures: Future<R>[] = [];
    try {
      for (const item of items) futures.push(this.submit(fn as TaskFn<R>, item) as Future<R>);
    } catch (err) {
      for (const f of futures) f.cancel();
      throw err;
    }
    return {
      async *[Symbol.asyncIterator](): AsyncGenerator<R, void, undefined> {
        try {
          for (const f of futures) yield await f;
        } finally {
          for (const f of futures) f.cancel();
        }
      },
    };
  }

  /**
   * Stops accepting work. Queued work still runs (unless `cancelFutures`), so no future is left
   * pending forever (futurist's `wait=false` abandons queued work; fjord does not). Workers and
   * processes are released once everything is done. Idempotent.
   *
   * @param options `wait` (default `true`): resolve only when all work is done and resources
   *   are released; `cancelFutures` (default `false`): cancel work that has not started.
   * @returns Resolves when shut down (at once with `wait: false`).
   *
   * @example
   * ```ts
   * import { AsyncPoolExecutor } from "@fjord/fjord/futures";
   * import assert from "node:assert/strict";
   *
   * const ex = new AsyncPoolExecutor({ maxWorkers: 1 });
   * const a = ex.submit(() => new Promise((r) => setTimeout(r, 5)));
   * const b = ex.submit(() => 2);
   * await Promise.resolve(); // work starts on a microtask: `a` is running, `b` still queued
   * await ex.shutdown({ cancelFutures: true });
   * assert.ok(a.done() && !a.cancelled());
   * assert.ok(b.cancelled());
   * assert.equal(ex.alive, false);
   * ```
   */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    const { wait = true, cancelFutures = false } = options;
    this.#shutdown = true;
    if (cancelFutures) {
      for (let i = this.#head; i < this.#queue.length; i++) {
        const work = this.#queue[i];
        if (work && !work.started) work.future.cancel();
      }
    }
    this.#closing ??= this.#whenIdle().then(() => this.#runner.close()).catch((err) => {
      getLogger().error("Failed to release executor resources", err);
    });
    return wait ? this.#closing : Promise.resolve();
  }

  /** `false` once {@linkcode BaseExecutor.shutdown} was called. */
  get alive(): boolean {
    return !this.#shutdown;
  }

  /** An immutable snapshot of the counters (see {@linkcode ExecutorStatistics}). */
  get statistics(): ExecutorStatistics {
    return this.#snapshot ??= new ExecutorStatistics({
      failures: this.#failures,
      executed: this.#executed,
      runtime: this.#runtime,
      cancelled: this.#cancelled,
    });
  }

  /**
   * `shutdown({ wait: true })`, for `await using`.
   *
   * @returns Resolves when shut down.
   *
   * @example
   * ```ts
   * import { AsyncPoolExecutor } from "@fjord/fjord/futures";
   * import assert from "node:assert/strict";
   *
   * let ex: AsyncPoolExecutor;
   * {
   *   await using pool = new AsyncPoolExecutor();
   *   ex = pool;
   *   pool.submit(() => 1);
   * }
   * assert.equal(ex.alive, false);
   * assert.equal(ex.statistics.executed, 1);
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown({ wait: true });
  }

  #backlog(): number {
    return Math.max(0, this.#queue.length - this.#head - this.#runner.freeSlots());
  }

  #scheduleDrain(): void {
    if (this.#drainScheduled) return;
    this.#drainScheduled = true;
    queueMicrotask(() => {
      this.#drainScheduled = false;
      this.#drain();
    });
  }

  #drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    try {
      const queue = this.#queue;
      const runner = this.#runner;
      while (this.#head < queue.length && runner.freeSlots() > 0) {
        const work = queue[this.#head]!;
        queue[this.#head++] = undefined;
        if (!work.started) {
          if (!futureInternals.setRunning(work.future)) continue;
          work.started = true;
        }
        runner.start(work);
      }
      if (this.#head === queue.length) {
        queue.length = 0;
        this.#head = 0;
      } else if (this.#head > 1024 && this.#head * 2 > queue.length) {
        queue.splice(0, this.#head);
        this.#head = 0;
      }
    } finally {
      this.#draining = false;
    }
  }

  #complete(work: Work, ok: boolean, value: unknown): void {
    if (work.future.done()) return;
    this.#executed++;
    if (!ok) this.#failures++;
    this.#runtime += Math.max(0, this.#clock.now() - work.startedAt);
    this.#snapshot = undefined;
    if (ok) futureInternals.setResult(work.future, value);
    else futureInternals.setException(work.future, value);
    this.#settled();
    if (!this.#inline && this.#head < this.#queue.length) {
      if (this.#draining) return;
      this.#scheduleDrain();
    }
  }

  #requeue(works: Work[]): void {
    if (works.length === 0) return;
    this.#queue.splice(this.#head, 0, ...works);
    this.#scheduleDrain();
  }

  #settled(): void {
    if (--this.#outstanding === 0 && this.#idleWaiters.length > 0) {
      const waiters = this.#idleWaiters.splice(0);
      for (const w of waiters) w();
    }
  }

  #whenIdle(): Promise<void> {
    if (this.#outstanding === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }
}
