/**
 * The {@linkcode Executor} interface and {@linkcode BaseExecutor}, the queue, statistics and
 * shutdown logic every fjord executor shares.
 *
 * @module
 */

import { type Clock, systemClock } from "../runtime/clock.ts";
import { checkClock } from "../runtime/_check_clock.ts";
import { checkNumber } from "../runtime/_check_number.ts";
import {
  checkBooleanOption,
  checkOptionsObject,
  checkSignalOption,
} from "../runtime/_check_options.ts";
import { describeValue } from "../runtime/_describe.ts";
import { getLogger } from "../runtime/logger.ts";
import { resolveRestartPolicy, type RestartPolicy } from "../runtime/restart_policy.ts";
import { isTaskRef, taskModuleUrl, type TaskRef } from "../runtime/task_ref.ts";
import { futureInternals } from "./_future_control.ts";
import { executorInternals } from "./_executor_internals.ts";
import { type Runner, runnerFactories, type RunnerHost, type Work } from "./_runner.ts";
import { type BrokenExecutorError, ExecutorShutdownError } from "./errors.ts";
import { Future } from "./future.ts";
import type { Transferred } from "./transfer.ts";
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
 * Any function type: the constraint of the function type parameters of `submit`, `submitWith`
 * and {@linkcode TaskRef}.
 *
 * @example
 * ```ts
 * import type { AnyFunction } from "@fjord/fjord/futures";
 *
 * const f: AnyFunction = (a: number, b: string) => `${a}${b}`;
 * ```
 */
// deno-lint-ignore no-explicit-any
export type AnyFunction = (...args: any[]) => any;

/**
 * Per-task options for {@linkcode Executor.submitWith}.
 *
 * @example A task that may run at most 50 ms
 * ```ts
 * import { AsyncPoolExecutor, type SubmitOptions } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * await using ex = new AsyncPoolExecutor();
 * const options: SubmitOptions = { timeout: 50 };
 * const slow = () => new Promise<string>((r) => setTimeout(() => r("late"), 200));
 * await assert.rejects(ex.submitWith(options, slow).result(), { name: "TimeoutError" });
 * assert.equal(await ex.submitWith(options, () => "quick"), "quick");
 * await new Promise((r) => setTimeout(r, 200)); // let the abandoned task's timer end
 * ```
 */
export interface SubmitOptions {
  /**
   * Ms the task may run, from when it starts running (not from submit; on the Worker and process
   * pools a worker's first task of a module also loads that module in that time); then its
   * future rejects with a `DOMException` named `TimeoutError` and the task is stopped
   * (Worker/process pools: its Worker/child is terminated and replaced). Overrides the
   * executor's `taskTimeout`; `Infinity` runs the task with no timeout.
   */
  timeout?: number;
  /**
   * Aborting rejects the future with `signal.reason` (a `DOMException` `AbortError` by default):
   * queued, the task never starts; running, it is stopped as for `timeout`.
   */
  signal?: AbortSignal;
}

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
  /**
   * Grace period in ms: work still not done after it is stopped (Worker/process pools: its
   * Worker/child is terminated) and its future is cancelled (`CancelledError`); queued work is
   * cancelled too, and children still exiting then (a stopped or stuck one never does) are
   * killed. Without it, `shutdown()` waits for running work however long it takes, and up to
   * 5 s for each child to exit once its input is closed.
   */
  timeout?: number;
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
   * Schedules `fn(...args)`; the arguments and result are type-checked against `fn` (or the
   * function a typed {@linkcode TaskRef} names).
   *
   * @param fn A {@linkcode TaskRef} (Worker and process pools take only these).
   * @param args Arguments (structured-cloned for Worker and process pools).
   * @returns The work's future.
   */
  submit<F extends AnyFunction>(fn: TaskRef<F>, ...args: TaskArgs<F>): Future<TaskResult<F>>;
  /**
   * Schedules `fn(...args)`.
   *
   * @param fn A function (not for Worker and process pools).
   * @param args Arguments.
   * @returns The work's future.
   */
  submit<F extends AnyFunction>(fn: F, ...args: TaskArgs<F>): Future<TaskResult<F>>;
  /**
   * Schedules `fn(...args)` with the result type given explicitly (`submit<number>(ref, 1)`),
   * for an untyped {@linkcode TaskRef} or a union of task kinds; arguments are not checked.
   *
   * @param fn A function or an untyped TaskRef.
   * @param args Arguments.
   * @returns The work's future.
   */
  submit<T = never>(fn: TaskRef | TaskFn<NoInfer<T>>, ...args: unknown[]): Future<Awaited<T>>;
  /**
   * Like `submit`, with a per-task `timeout` and `signal`.
   *
   * @param options `timeout` (ms from the task's start), `signal`.
   * @param fn A {@linkcode TaskRef}.
   * @param args Arguments.
   * @returns The work's future.
   */
  submitWith<F extends AnyFunction>(
    options: SubmitOptions,
    fn: TaskRef<F>,
    ...args: TaskArgs<F>
  ): Future<TaskResult<F>>;
  /**
   * Like `submit`, with a per-task `timeout` and `signal`.
   *
   * @param options `timeout` (ms from the task's start), `signal`.
   * @param fn A function.
   * @param args Arguments.
   * @returns The work's future.
   */
  submitWith<F extends AnyFunction>(
    options: SubmitOptions,
    fn: F,
    ...args: TaskArgs<F>
  ): Future<TaskResult<F>>;
  /**
   * Like `submit`, with a per-task `timeout` and `signal`, the result type given explicitly.
   *
   * @param options `timeout` (ms from the task's start), `signal`.
   * @param fn A function or an untyped TaskRef.
   * @param args Arguments.
   * @returns The work's future.
   */
  submitWith<T = never>(
    options: SubmitOptions,
    fn: TaskRef | TaskFn<NoInfer<T>>,
    ...args: unknown[]
  ): Future<Awaited<T>>;
  /**
   * Submits `fn(item)` for every item at once and yields the results in order.
   *
   * @param fn A typed {@linkcode TaskRef} taking one item.
   * @param items The items.
   * @returns The results, in `items` order.
   */
  map<F extends (item: never) => unknown>(
    fn: TaskRef<F>,
    items: Iterable<Parameters<F>[0]>,
  ): AsyncIterable<TaskResult<F>>;
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
   * A task that awaits its own executor's `shutdown({ wait: true })` waits for itself (futurist's
   * thread pool raises, its `SynchronousExecutor` only sets the flag): from inside a task, call it
   * without awaiting it, or give it a `timeout`.
   *
   * @param options `wait`, `cancelFutures`.
   * @returns Resolves when shut down (at once with `wait: false`).
   */
  shutdown(options?: ShutdownOptions): Promise<void>;
  /** `false` once `shutdown()` was called, or once the pool is broken. */
  readonly alive: boolean;
  /** `true` once the pool gave up on its workers (see {@linkcode BrokenExecutorError}). */
  readonly broken: boolean;
  /** A snapshot of the counters. */
  readonly statistics: ExecutorStatistics;
}

/**
 * The result type of a task: what the function named by a typed {@linkcode TaskRef} resolves
 * to, `unknown` for an untyped one.
 *
 * @typeParam F The task's function type.
 *
 * @example
 * ```ts
 * import type { TaskResult } from "@fjord/fjord/futures";
 *
 * const n: TaskResult<(x: number) => Promise<number>> = 42;
 * ```
 */
export type TaskResult<F extends AnyFunction> = Awaited<ReturnType<F>> extends Transferred<infer V>
  ? V
  : Awaited<ReturnType<F>>;

/**
 * The arguments a task takes through `submit`: each as the function declares it, or wrapped in
 * {@linkcode transfer} (moved to a Worker instead of copied).
 *
 * @typeParam F The task's function type.
 *
 * @example
 * ```ts
 * import { type TaskArgs, transfer } from "@fjord/fjord/futures";
 *
 * const buf = new ArrayBuffer(8);
 * const args: TaskArgs<(b: ArrayBuffer, n: number) => void> = [transfer(buf, [buf]), 1];
 * ```
 */
export type TaskArgs<F extends AnyFunction> = OrTransferred<Parameters<F>>;

/**
 * Each element of the tuple `P`, or that element wrapped in {@linkcode transfer}.
 *
 * @typeParam P A parameter list.
 *
 * @example
 * ```ts
 * import { type OrTransferred, transfer } from "@fjord/fjord/futures";
 *
 * const buf = new ArrayBuffer(8);
 * const args: OrTransferred<[ArrayBuffer, number]> = [transfer(buf, [buf]), 1];
 * ```
 */
export type OrTransferred<P extends unknown[]> = { [K in keyof P]: P[K] | Transferred<P[K]> };

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
  /** The clock statistics and timeouts are measured on (default `systemClock`). */
  clock?: Clock;
  /**
   * Default run-time limit of every task in ms (see {@linkcode SubmitOptions.timeout}); none by
   * default.
   */
  taskTimeout?: number;
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
   * pool sends 1 until the first result and drops to 2 by itself once tasks take over 1 ms, 1
   * when fewer tasks wait than there are workers). A worker runs one task at a time; the ones
   * sent ahead wait there (not `running()`, no longer cancellable). Pipelining is what makes
   * small tasks cheap; use 1 for long, uneven tasks to balance them best.
   */
  tasksPerWorker?: number;
  /** Extra `deno run` flags for child processes (process pool only). */
  denoArgs?: string[];
  /**
   * How Workers/children that die are restarted (the launchers' policy): within the intensity,
   * each death is replaced (with back-off); beyond it the pool becomes broken.
   */
  restart?: RestartPolicy;
}

function checkCount(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  return checkNumber(
    value,
    "create executor",
    name,
    "an integer >= 1",
    (n) => Number.isInteger(n) && n >= 1,
  );
}

function checkTimeout(value: unknown, what: string, name: string): number | undefined {
  if (value === undefined) return undefined;
  checkNumber(value, what, name, "a number >= 0 (ms)", (n) => n >= 0); // false for NaN
  return value === Infinity ? undefined : value as number;
}

/**
 * What every fjord executor shares: a FIFO queue, futurist's statistics, `checkAndReject`,
 * `map()`, per-task timeouts and signals, and a `shutdown()` that never strands a future.
 * Subclasses only pick how started work runs; use {@linkcode SynchronousExecutor},
 * {@linkcode AsyncPoolExecutor}, {@linkcode WorkerPoolExecutor}, {@linkcode ProcessPoolExecutor}
 * or {@linkcode ThreadPoolExecutor}.
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
  #taskTimeout: number | undefined;
  #inline: boolean;
  #queue: (Work | undefined)[] = [];
  #head = 0;
  #outstanding = 0;
  #shutdown = false;
  #broken: BrokenExecutorError | undefined;
  #closing: Promise<void> | undefined;
  #deadline: AbortController | undefined;
  /** The last shutdown has released every worker. */
  #released = false;
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
      // The last shutdown's grace timer (aborted once it was idle): a later shutdown arms its own.
      ex.#deadline = undefined;
      ex.#released = false;
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
   * @throws {RangeError} When `maxWorkers` or `tasksPerWorker` is a number but not an integer
   *   >= 1, or `taskTimeout` is NaN or negative.
   * @throws {TypeError} When `options` is not an object, `maxWorkers`, `tasksPerWorker` or
   *   `taskTimeout` is not a number, `checkAndReject` is given and is not a function, `restart` is
   *   not a valid restart policy, or `clock` is not a Clock.
   */
  protected constructor(
    kind: "inline" | "async" | "worker" | "process",
    options: RemotePoolExecutorOptions = {},
  ) {
    checkOptionsObject(options, "create executor");
    const { checkAndReject, clock = systemClock } = options;
    if (checkAndReject !== undefined && typeof checkAndReject !== "function") {
      throw new TypeError(
        `Cannot create executor as 'checkAndReject' must be a function: current value is ${
          describeValue(checkAndReject)
        }`,
      );
    }
    checkClock(options.clock, "create executor");
    this.#checkAndReject = checkAndReject;
    this.#taskTimeout = checkTimeout(options.taskTimeout, "create executor", "taskTimeout");
    this.#clock = clock;
    this.#inline = kind === "inline";
    const host: RunnerHost = {
      complete: (work, ok, value) => this.#complete(work, ok, value),
      requeue: (works) => this.#requeue(works),
      kick: () => this.#scheduleDrain(),
      running: (work) => this.#running(work),
      broke: (error) => this.#broke(error as BrokenExecutorError),
    };
    const factory = runnerFactories[kind];
    if (factory === undefined) {
      throw new TypeError(
        `Cannot create executor as 'kind' is unknown: current value is ${describeValue(kind)}`,
      );
    }
    this.#runner = factory(host, {
      maxWorkers: options.maxWorkers === undefined
        ? undefined
        : checkCount(options.maxWorkers, "maxWorkers", 1),
      tasksPerWorker: checkCount(options.tasksPerWorker, "tasksPerWorker", 32),
      denoArgs: options.denoArgs,
      restart: resolveRestartPolicy(options.restart),
      clock,
    });
    this.#onFutureCancelled = () => {
      this.#cancelled++;
      this.#snapshot = undefined;
      this.#settled();
    };
  }

  /**
   * Schedules `fn(...args)` and returns its future. Pools start work in submission order as
   * slots free up; the synchronous executor runs it inline before returning. With a function or
   * a typed {@linkcode TaskRef} (`TaskRef<typeof fn>`), the arguments and the result type are
   * checked; `submit<R>(untypedRef, ...)` names the result type instead.
   *
   * @param fn A function, or a {@linkcode TaskRef} (Worker and process pools take only these).
   * @param args Arguments for `fn` (structured-cloned for Worker and process pools).
   * @returns The work's future. On a broken pool it is already rejected with
   *   {@linkcode BrokenExecutorError} (the submission is not counted in the statistics).
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
  submit<F extends AnyFunction>(fn: TaskRef<F>, ...args: TaskArgs<F>): Future<TaskResult<F>>;
  /**
   * Schedules a plain function (see the first overload).
   *
   * @param fn A function (not for Worker and process pools).
   * @param args Arguments.
   * @returns The work's future.
   *
   * @example
   * ```ts
   * import { SynchronousExecutor } from "@fjord/fjord/futures";
   * import assert from "node:assert/strict";
   *
   * assert.equal(await new SynchronousExecutor().submit((s: string) => s.length, "abc"), 3);
   * ```
   */
  submit<F extends AnyFunction>(fn: F, ...args: TaskArgs<F>): Future<TaskResult<F>>;
  /**
   * Schedules work whose result type is given explicitly (see the first overload).
   *
   * @param fn A function or an untyped TaskRef.
   * @param args Arguments (not checked).
   * @returns The work's future.
   *
   * @example
   * ```ts
   * import { SynchronousExecutor } from "@fjord/fjord/futures";
   * import assert from "node:assert/strict";
   *
   * const f = new SynchronousExecutor().submit<number>((x: number) => x * 2, 4);
   * assert.equal(await f, 8);
   * ```
   */
  submit<T = never>(fn: TaskRef | TaskFn<NoInfer<T>>, ...args: unknown[]): Future<Awaited<T>>;
  submit(fn: TaskFn | TaskRef, ...args: unknown[]): Future<unknown> {
    return this.#submit(this.#taskTimeout, undefined, fn, args);
  }

  /**
   * Like {@linkcode BaseExecutor.submit}, with per-task options: `timeout` (ms from when the
   * task starts running; default the executor's `taskTimeout`) and `signal`. A running task
   * that times out or is aborted rejects with a `DOMException` (`TimeoutError`, or
   * `signal.reason`, `AbortError` by default) and is stopped: on Worker and process pools its
   * Worker/child is terminated and replaced, and the tasks sent to it but not started go to
   * other workers; on this isolate (async pool) it is abandoned, its slot freed. On Worker and
   * process pools a task with a `signal` is sent to a worker only once that worker is idle (not
   * queued behind another task there), so a task aborted before it starts never runs.
   *
   * @param options `timeout`, `signal`.
   * @param fn A {@linkcode TaskRef} (or a function, where accepted).
   * @param args Arguments.
   * @returns The work's future.
   * @throws {RangeError} When `timeout` is NaN or negative.
   * @throws {TypeError} When `timeout` is not a number, `signal` is not an AbortSignal; and as
   *   `submit()`.
   *
   * @example
   * ```ts
   * import { AsyncPoolExecutor } from "@fjord/fjord/futures";
   * import assert from "node:assert/strict";
   *
   * await using ex = new AsyncPoolExecutor({ maxWorkers: 1 });
   * const stop = new AbortController();
   * const hung = ex.submitWith({ signal: stop.signal }, () => new Promise(() => {}));
   * stop.abort();
   * await assert.rejects(hung.result(), { name: "AbortError" });
   * assert.equal(await ex.submit(() => "the slot is free again"), "the slot is free again");
   * ```
   */
  submitWith<F extends AnyFunction>(
    options: SubmitOptions,
    fn: TaskRef<F>,
    ...args: TaskArgs<F>
  ): Future<TaskResult<F>>;
  /**
   * {@linkcode BaseExecutor.submitWith} for a plain function.
   *
   * @param options `timeout`, `signal`.
   * @param fn A function (not for Worker and process pools).
   * @param args Arguments.
   * @returns The work's future.
   *
   * @example
   * ```ts
   * import { AsyncPoolExecutor } from "@fjord/fjord/futures";
   * import assert from "node:assert/strict";
   *
   * await using ex = new AsyncPoolExecutor();
   * assert.equal(await ex.submitWith({ timeout: 1000 }, (a: number) => a + 1, 1), 2);
   * ```
   */
  submitWith<F extends AnyFunction>(
    options: SubmitOptions,
    fn: F,
    ...args: TaskArgs<F>
  ): Future<TaskResult<F>>;
  /**
   * {@linkcode BaseExecutor.submitWith} with the result type given explicitly.
   *
   * @param options `timeout`, `signal`.
   * @param fn A function or an untyped TaskRef.
   * @param args Arguments (not checked).
   * @returns The work's future.
   *
   * @example
   * ```ts
   * import { AsyncPoolExecutor } from "@fjord/fjord/futures";
   * import assert from "node:assert/strict";
   *
   * await using ex = new AsyncPoolExecutor();
   * assert.equal(await ex.submitWith<string>({}, () => "x"), "x");
   * ```
   */
  submitWith<T = never>(
    options: SubmitOptions,
    fn: TaskRef | TaskFn<NoInfer<T>>,
    ...args: unknown[]
  ): Future<Awaited<T>>;
  submitWith(options: SubmitOptions, fn: TaskFn | TaskRef, ...args: unknown[]): Future<unknown> {
    if (options === null || typeof options !== "object") {
      throw new TypeError(
        `Cannot submit as 'options' must be an object: current value is ${describeValue(options)}`,
      );
    }
    const timeout = checkTimeout(options.timeout, "submit", "timeout");
    const { signal } = options;
    checkSignalOption(signal, "submit");
    return this.#submit(
      options.timeout === undefined ? this.#taskTimeout : timeout,
      signal,
      fn,
      args,
    );
  }

  // `timeout`: the task's, resolved by the caller (undefined: none, the executor's included).
  #submit(
    timeout: number | undefined,
    signal: AbortSignal | undefined,
    fn: TaskFn | TaskRef,
    args: unknown[],
  ): Future<unknown> {
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
        `Cannot submit as 'fn' must be a function or a TaskRef: current value is ${
          describeValue(fn)
        }`,
      );
    }
    if (this.#broken !== undefined) {
      const failed = new Future<unknown>();
      futureInternals.setException(failed, this.#broken);
      return failed;
    }
    if (this.#checkAndReject !== undefined) {
      this.#checkAndReject(this, this.#backlog());
      // The callback may have shut the executor down; queueing now could strand the work.
      if (this.#shutdown) throw new ExecutorShutdownError();
    }
    const future = new Future<unknown>();
    const work: Work = {
      future,
      fn: func,
      ref,
      url,
      args,
      // Set now, not when queued: a signal already aborted completes the work in #watch().
      startedAt: this.#clock.now(),
      started: false,
      crashes: 0,
      timeout,
      signal,
      disarm: undefined,
    };
    this.#outstanding++;
    futureInternals.onCancel(future, this.#onFutureCancelled);
    if (signal !== undefined || timeout !== undefined) this.#watch(work);
    if (work.future.done()) return future;
    if (this.#inline) {
      futureInternals.claim(work.future);
      work.started = true;
      work.startedAt = this.#clock.now();
      this.#runner.start(work);
      return future;
    }
    this.#queue.push(work);
    this.#scheduleDrain();
    return future;
  }

  // Listens to the work's signal; drops the listener and the timeout timer once it is done.
  #watch(work: Work): void {
    const { signal } = work;
    let onAbort: (() => void) | undefined;
    if (signal !== undefined) {
      if (signal.aborted) {
        this.#complete(work, false, signal.reason);
        return;
      }
      onAbort = () => this.#stopWork(work, signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
    }
    futureInternals.onDone(work.future, () => {
      if (onAbort !== undefined) signal!.removeEventListener("abort", onAbort);
      work.disarm?.();
      work.disarm = undefined;
    });
  }

  // Stops work that timed out or was aborted: a started task is stopped by its runner.
  #stopWork(work: Work, reason: unknown): void {
    if (work.future.done()) return;
    if (work.started) this.#runner.stop(work);
    this.#complete(work, false, reason);
  }

  // The runner says `work` now really runs: mark it and start its timeout.
  #running(work: Work): void {
    if (!futureInternals.setRunning(work.future)) return;
    const timeout = work.timeout;
    if (timeout === undefined) return;
    work.disarm?.();
    const stopTimer = new AbortController();
    work.disarm = () => stopTimer.abort();
    this.#clock.sleep(timeout, { signal: stopTimer.signal }).then(() => {
      this.#stopWork(
        work,
        new DOMException(`The task was still running after ${timeout} ms`, "TimeoutError"),
      );
    }, () => {});
  }

  #broke(error: BrokenExecutorError): void {
    if (this.#broken !== undefined) return;
    this.#broken = error;
    // Queued work fails at once instead of waiting for a worker that will never come.
    for (let i = this.#head; i < this.#queue.length; i++) {
      const work = this.#queue[i];
      if (work !== undefined && !work.future.done()) this.#complete(work, false, error);
    }
    this.#queue.length = 0;
    this.#head = 0;
  }

  /**
   * Submits `fn(item)` for every item at once (like futurist's `map`) and yields the results in
   * order. Leaving the loop early cancels what has not started.
   *
   * @param fn A typed {@linkcode TaskRef} taking one item.
   * @param items The items.
   * @returns An async iterable of the results; it throws the first failure it reaches.
   *
   * @example
   * ```ts
   * import { WorkerPoolExecutor, type TaskRef } from "@fjord/fjord/futures";
   * import assert from "node:assert/strict";
   *
   * const code = "export const square = (n) => n * n;";
   * const square: TaskRef<(n: number) => number> = {
   *   module: `data:text/javascript,${code}`,
   *   export: "square",
   * };
   * await using ex = new WorkerPoolExecutor({ maxWorkers: 1 });
   * const out: number[] = [];
   * for await (const v of ex.map(square, [1, 2, 3])) out.push(v);
   * assert.deepEqual(out, [1, 4, 9]);
   * ```
   */
  map<F extends (item: never) => unknown>(
    fn: TaskRef<F>,
    items: Iterable<Parameters<F>[0]>,
  ): AsyncIterable<TaskResult<F>>;
  /**
   * Submits `fn(item)` for every item at once (like futurist's `map`) and yields the results in
   * order. Leaving the loop early cancels what has not started.
   *
   * @param fn A function or {@linkcode TaskRef} taking one item.
   * @param items The items.
   * @returns An async iterable of the results; it throws the first failure it reaches.
   * @throws {ExecutorShutdownError} After `shutdown()` (and like `submit()` otherwise); work
   *   submitted before the failing submission is cancelled when possible.
   * @throws {TypeError} When `items` is not iterable.
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
  map<T, R>(fn: ((item: T) => R | Promise<R>) | TaskRef, items: Iterable<T>): AsyncIterable<R>;
  map(fn: TaskFn | TaskRef, items: Iterable<unknown>): AsyncIterable<unknown> {
    if (typeof (items as Partial<Iterable<unknown>> | null)?.[Symbol.iterator] !== "function") {
      throw new TypeError(
        `Cannot map over items as 'items' must be iterable: current value is ${
          describeValue(items)
        }`,
      );
    }
    const futures: Future<unknown>[] = [];
    try {
      for (const item of items) {
        futures.push(this.#submit(this.#taskTimeout, undefined, fn, [item]));
      }
    } catch (err) {
      for (const f of futures) f.cancel();
      throw err;
    }
    return {
      async *[Symbol.asyncIterator](): AsyncGenerator<unknown, void, undefined> {
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
   * processes are released once everything is done. With `timeout`, work still not done after
   * that many ms is stopped (its Worker/child terminated) and cancelled, and children still
   * exiting by then are killed, so the pool always lets the program exit. Idempotent (a later call may add a `timeout`). A broken pool shuts
   * down too.
   *
   * @param options `wait` (default `true`): resolve only when all work is done and resources
   *   are released; `cancelFutures` (default `false`): cancel work that has not started;
   *   `timeout` (ms): stop and cancel what is still not done by then.
   * @returns Resolves when shut down (at once with `wait: false`).
   * @throws {RangeError} When `timeout` is NaN or negative (thrown synchronously).
   * @throws {TypeError} When `options` is not an object, `wait` or `cancelFutures` not a boolean,
   *   or `timeout` not a number (thrown synchronously).
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
   *
   * @example Stopping a hung task after a grace period
   * ```ts
   * import { AsyncPoolExecutor, CancelledError } from "@fjord/fjord/futures";
   * import assert from "node:assert/strict";
   *
   * const ex = new AsyncPoolExecutor();
   * const hung = ex.submit(() => new Promise(() => {}));
   * await ex.shutdown({ timeout: 20 });
   * assert.ok(hung.cancelled());
   * await assert.rejects(hung.result(), CancelledError);
   * ```
   */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    checkOptionsObject(options, "shut down executor");
    // A truthy string ("no") must not count as true, nor "false" as waiting.
    const wait = checkBooleanOption(options.wait, "shut down executor", "wait") ?? true;
    const cancelFutures =
      checkBooleanOption(options.cancelFutures, "shut down executor", "cancelFutures") ?? false;
    const timeout = checkTimeout(options.timeout, "shut down executor", "timeout");
    this.#shutdown = true;
    if (cancelFutures) {
      for (let i = this.#head; i < this.#queue.length; i++) {
        const work = this.#queue[i];
        if (work && !work.started) work.future.cancel();
      }
      // Handed to the runner but sent to no worker (a pool's tasks with a signal wait there for
      // an idle one): cancel() refuses whatever a worker already has.
      for (const work of this.#runner.started()) work.future.cancel();
    }
    // Armed even with no work left: releasing the workers must end by the timeout too (a
    // child that is stopped or stuck never exits by itself and would be waited for 5 s).
    if (timeout !== undefined && this.#deadline === undefined && !this.#released) {
      const deadline = this.#deadline = new AbortController();
      this.#clock.sleep(timeout, { signal: deadline.signal }).then(() => {
        this.#stopAll();
        this.#runner.hurryClose?.();
      }, () => {});
    }
    this.#closing ??= this.#whenIdle().then(() => this.#runner.close()).catch((err) => {
      getLogger().error("Failed to release executor resources", err);
    }).finally(() => {
      this.#released = true;
      this.#deadline?.abort();
    });
    return wait ? this.#closing : Promise.resolve();
  }

  // Shutdown's grace period is over: cancel what is queued, stop and cancel what runs.
  #stopAll(): void {
    for (let i = this.#head; i < this.#queue.length; i++) {
      const work = this.#queue[i];
      if (work === undefined || work.future.done()) continue;
      if (work.started) futureInternals.forceCancel(work.future);
      else work.future.cancel();
    }
    this.#queue.length = 0;
    this.#head = 0;
    for (const work of [...this.#runner.started()]) {
      if (work.future.done()) continue;
      this.#runner.stop(work);
      futureInternals.forceCancel(work.future);
    }
  }

  /** `false` once {@linkcode BaseExecutor.shutdown} was called, or once the pool is broken. */
  get alive(): boolean {
    return !this.#shutdown && this.#broken === undefined;
  }

  /**
   * `true` once the pool gave up on its workers because they kept dying (beyond its `restart`
   * policy): pending and later submissions reject with {@linkcode BrokenExecutorError}.
   */
  get broken(): boolean {
    return this.#broken !== undefined;
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
    const waiting = this.#queue.length - this.#head;
    return Math.max(0, waiting - this.#runner.freeSlots(waiting));
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
      while (this.#head < queue.length && runner.freeSlots(queue.length - this.#head) > 0) {
        const work = queue[this.#head]!;
        queue[this.#head++] = undefined;
        if (!work.started) {
          if (!futureInternals.claim(work.future)) continue;
          work.started = true;
        } else if (work.future.done()) continue;
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
    if (this.#broken !== undefined) {
      for (const work of works) this.#complete(work, false, this.#broken);
      return;
    }
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
