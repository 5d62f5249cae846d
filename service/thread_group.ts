/**
 * Thread groups (oslo.service `threadgroup`): background tasks and timers owned together, and
 * stopped together.
 *
 * @module
 */

// The cross-Worker lock tables, shared with every Worker started here.
import "../lock/_spawn.ts";
import { type Clock, systemClock } from "../runtime/clock.ts";
import { checkClock } from "../runtime/_check_clock.ts";
import { getLogger } from "../runtime/logger.ts";
import { selectedIsolation } from "../runtime/selection.ts";
import { isTaskRef, loadTask, taskModuleUrl, type TaskRef } from "../runtime/task_ref.ts";
import { deserializeError } from "../runtime/_error_revive.ts";
import { describeValue } from "../runtime/_describe.ts";
// Types only: the entry module itself runs in the Worker.
import type { ThreadInit, ThreadReply } from "./_thread_entry.ts";
import {
  checkBooleanOption,
  checkOptionsObject,
  checkWorkerCloneable,
} from "../runtime/_check_options.ts";
import { checkNumber } from "../runtime/_check_number.ts";
import { DynamicLoopingCall, FixedIntervalLoopingCall } from "./looping_call.ts";

let nextIdent = 1;

/**
 * What a thread's function receives as its last argument.
 *
 * @example
 * ```ts
 * import { type ThreadContext, ThreadGroup } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * const tg = new ThreadGroup();
 * const thread = tg.addThread((ctx: ThreadContext) => ctx.signal.aborted);
 * assert.equal(await thread.wait(), false);
 * ```
 */
export interface ThreadContext {
  /** Aborted when the thread (or its group) is stopped without grace. */
  signal: AbortSignal;
}

/**
 * One background task: an async function in this isolate, or a {@linkcode TaskRef} run in a Web
 * Worker. Created by {@linkcode ThreadGroup.addThread}.
 *
 * @typeParam T What the task returns.
 *
 * @example Waiting for a thread's result
 * ```ts
 * import { Thread } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * const thread = new Thread(async () => 42);
 * assert.equal(await thread.wait(), 42);
 * ```
 */
export class Thread<T = unknown> implements AsyncDisposable {
  /** A number unique among the threads of this isolate. */
  readonly ident: number;
  #controller = new AbortController();
  #done: Promise<T>;

  /**
   * Starts `body` (after the constructor returns, as a new task).
   *
   * @param body Runs the thread; it receives the thread's signal and should stop soon after
   *   it aborts.
   * @throws {TypeError} When `body` is not a function.
   */
  constructor(body: (signal: AbortSignal) => T | Promise<T>) {
    if (typeof body !== "function") {
      throw new TypeError(
        `Cannot create Thread as 'body' must be a function: current value is ${
          describeValue(body)
        }`,
      );
    }
    this.ident = nextIdent++;
    const signal = this.#controller.signal;
    // A thread stopped before its task began never runs it.
    this.#done = Promise.resolve().then(() => {
      if (signal.aborted) throw signal.reason;
      return body(signal);
    });
    // Failures are reported to whoever waits (and logged by a ThreadGroup); an unawaited
    // failure must not crash the isolate.
    this.#done.catch(() => {});
  }

  /** Aborted by {@linkcode Thread.stop}. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /**
   * Waits for the thread to end.
   *
   * @returns What the task returned.
   * @throws {unknown} What the task threw (rejects); a stopped Worker thread rejects with
   *   `signal.reason`.
   */
  wait(): Promise<T> {
    return this.#done;
  }

  /**
   * Aborts the thread's signal; a Worker thread is terminated at once, a function in this
   * isolate is asked to stop (it ends when it honours the signal). Idempotent.
   */
  stop(): void {
    this.#controller.abort();
  }

  /** Stops the thread and waits for it to end, for `await using` (its outcome is not thrown). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.stop();
    await this.#done.catch(() => {});
  }
}

/**
 * Options for the {@linkcode ThreadGroup} constructor.
 *
 * @example
 * ```ts
 * import { ThreadGroup, type ThreadGroupOptions } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * const options: ThreadGroupOptions = { maxThreads: 4 };
 * assert.equal(new ThreadGroup(options).maxThreads, 4);
 * ```
 */
export interface ThreadGroupOptions {
  /**
   * The most threads running at once; one more makes `addThread` throw.
   *
   * @default {1000}
   */
  maxThreads?: number;
  /**
   * The clock the group's timers use.
   *
   * @default {systemClock}
   */
  clock?: Clock;
}

/**
 * Options for {@linkcode ThreadGroup.addTimer}. The interval is `addTimer()`'s first argument, not
 * an option: an `interval` here is refused with a `TypeError`.
 *
 * @example
 * ```ts
 * import { type AddTimerOptions, FakeClock, ThreadGroup } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * using clock = new FakeClock();
 * const tg = new ThreadGroup({ clock });
 * const options: AddTimerOptions = { initialDelay: 500 };
 * let ticks = 0;
 * tg.addTimer(1000, () => {
 *   ticks++;
 * }, options);
 * await clock.tickAsync(1500);
 * await tg.stop();
 * assert.equal(ticks, 2);
 * ```
 */
export interface AddTimerOptions {
  /**
   * Milliseconds before the first call.
   *
   * @default {0}
   */
  initialDelay?: number;
  /**
   * Whether an error ends the timer (else it is logged and the timer goes on).
   *
   * @default {true}
   */
  stopOnException?: boolean;
}

/**
 * Options for {@linkcode ThreadGroup.addDynamicTimer}.
 *
 * @example
 * ```ts
 * import type { AddDynamicTimerOptions } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * const options: AddDynamicTimerOptions = { periodicIntervalMax: 60_000, stopOnException: false };
 * assert.equal(options.initialDelay, undefined);
 * ```
 */
export interface AddDynamicTimerOptions extends AddTimerOptions {
  /** The longest sleep in ms, and the sleep when the function returns `undefined`. */
  periodicIntervalMax?: number;
}

/**
 * Options for {@linkcode ThreadGroup.stopTimers}.
 *
 * @example
 * ```ts
 * import { FakeClock, type StopTimersOptions, ThreadGroup } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * using clock = new FakeClock();
 * const tg = new ThreadGroup({ clock });
 * const timer = tg.addTimer(1000, () => {});
 * const options: StopTimersOptions = { wait: true };
 * await tg.stopTimers(options);
 * assert.equal(timer.running, false);
 * ```
 */
export interface StopTimersOptions {
  /**
   * Whether to wait for each timer's loop to end (errors are logged, not thrown).
   *
   * @default {false}
   */
  wait?: boolean;
}

/**
 * Options for {@linkcode ThreadGroup.stop}.
 *
 * @example
 * ```ts
 * import { ThreadGroup, type ThreadGroupStopOptions } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * const tg = new ThreadGroup();
 * const thread = tg.addThread(async () => "finished");
 * const options: ThreadGroupStopOptions = { graceful: true };
 * await tg.stop(options);
 * assert.equal(await thread.wait(), "finished");
 * ```
 */
export interface ThreadGroupStopOptions {
  /**
   * `true`: wait for the timers and threads to end by themselves. `false`: abort every
   * thread's signal, terminate Worker threads and drop them.
   *
   * @default {false}
   */
  graceful?: boolean;
}

const THREAD_ENTRY = new URL("./_thread_entry.ts", import.meta.url);

// The isolate host loads with the first Worker thread, not when fjord is imported (TaskRef
// threads run in Workers only on the threading backend).
let isolateHost: Promise<typeof import("../runtime/_isolate_host.ts")> | undefined;

async function runInWorker(
  init: ThreadInit,
  ident: number,
  signal: AbortSignal,
): Promise<unknown> {
  if (signal.aborted) throw signal.reason;
  const { startIsolate } = await (isolateHost ??= import("../runtime/_isolate_host.ts"));
  if (signal.aborted) throw signal.reason;
  return await new Promise((resolve, reject) => {
    const isolate = startIsolate<never, ThreadReply>({
      isolation: "worker",
      entry: THREAD_ENTRY,
      data: init,
      name: `fjord-thread-${ident}`,
      onMessage: (reply) => {
        finish();
        if (reply.kind === "result") resolve(reply.value);
        else reject(deserializeError(reply.error));
      },
    });
    const finish = (): void => {
      signal.removeEventListener("abort", onAbort);
      isolate.kill();
    };
    const onAbort = (): void => {
      finish();
      reject(signal.reason);
    };
    // A Worker that ended before it replied (Deno.exit, self.close, an uncaught error).
    void isolate.exited.then((exit) => {
      if (exit.cause === "terminated") return;
      finish();
      reject(new Error(`Thread ${ident}'s Web Worker ${exit.reason}`, { cause: exit.error }));
    });
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

// stopTimers({ wait: true })'s wait: each loop in turn, its error logged.
async function waitForTimers(timers: readonly { wait(): Promise<unknown> }[]): Promise<void> {
  for (const timer of timers) {
    try {
      await timer.wait();
    } catch (err) {
      getLogger().error("Error waiting on timer.", err);
    }
  }
}

/**
 * A group of threads and timers that are stopped together (oslo's `ThreadGroup`).
 *
 * `addThread(fn, ...args)` runs `fn(...args, { signal })` as an async task in this isolate on
 * both backends; `addThread(taskRef, ...args)` runs the task in a Web Worker on the threading
 * backend (arguments and result must be structured-cloneable) and in this isolate on the
 * cooperative one. Unlike oslo's threading backend, `stop()` really stops: it aborts every
 * thread's signal and terminates Worker threads. A finished thread leaves `threads`.
 *
 * @example Threads and a timer
 * ```ts
 * import { FakeClock, ThreadGroup } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * using clock = new FakeClock();
 * const tg = new ThreadGroup({ clock });
 * const thread = tg.addThread(async (a: number, b: number) => a + b, 1, 2);
 * assert.equal(await thread.wait(), 3);
 * let ticks = 0;
 * tg.addTimer(1000, () => { ticks++; });
 * await clock.tickAsync(2000);
 * await tg.stop();
 * assert.equal(ticks, 3);
 * assert.equal(tg.threads.length, 0);
 * ```
 */
export class ThreadGroup implements AsyncDisposable {
  #maxThreads: number;
  #clock: Clock;
  #workers: boolean;
  #threads: Thread[] = [];
  #timers: (FixedIntervalLoopingCall | DynamicLoopingCall)[] = [];

  /**
   * Creates an empty group (resolves the backend).
   *
   * @param options `maxThreads` (default 1000) and the timers' `clock`.
   * @throws {RangeError} When `maxThreads` is a number but not an integer >= 1.
   * @throws {TypeError} When `options` is not an object, `maxThreads` not a number or `clock`
   *   not a Clock.
   */
  constructor(options: ThreadGroupOptions = {}) {
    checkOptionsObject(options, "create ThreadGroup");
    const { maxThreads = 1000, clock = systemClock } = options;
    checkNumber(
      maxThreads,
      "create ThreadGroup",
      "maxThreads",
      "an integer >= 1",
      (n) => Number.isInteger(n) && n >= 1,
    );
    checkClock(clock, "create ThreadGroup");
    this.#maxThreads = maxThreads;
    this.#clock = clock;
    this.#workers = selectedIsolation().taskIsolation === "worker";
  }

  /** The running threads (a snapshot). */
  get threads(): readonly Thread[] {
    return [...this.#threads];
  }

  /** The timers added and not yet removed by `stopTimers()`/`stop()` (a snapshot). */
  get timers(): readonly (FixedIntervalLoopingCall | DynamicLoopingCall)[] {
    return [...this.#timers];
  }

  /** The most threads running at once. */
  get maxThreads(): number {
    return this.#maxThreads;
  }

  /**
   * Starts a thread running `fn(...args, { signal })` in this isolate.
   *
   * @typeParam T What `fn` returns.
   * @param fn The task; its last argument is a {@linkcode ThreadContext}.
   * @param args The arguments before the context.
   * @returns The thread.
   * @throws {RangeError} When `maxThreads` threads are running.
   * @throws {TypeError} When `fn` is neither a function nor a TaskRef.
   */
  // deno-lint-ignore no-explicit-any
  addThread<T>(fn: (...args: any[]) => T | Promise<T>, ...args: unknown[]): Thread<T>;
  /**
   * Starts a thread running the exported function `task` names, called as
   * `fn(...args, { signal })`: in a Web Worker on the threading backend (arguments and result
   * must be structured-cloneable; stopping terminates the Worker), else in this isolate.
   *
   * @param task The module URL and export name.
   * @param args The arguments before the context.
   * @returns The thread.
   * @throws {RangeError} When `maxThreads` threads are running.
   * @throws {TypeError} When `task` is malformed, or an argument cannot be cloned to a Worker.
   */
  addThread(task: TaskRef, ...args: unknown[]): Thread;
  // deno-lint-ignore no-explicit-any
  addThread(fn: TaskRef | ((...args: any[]) => unknown), ...args: unknown[]): Thread {
    let body: (signal: AbortSignal) => unknown;
    if (typeof fn === "function") {
      body = (signal) => fn(...args, { signal });
    } else if (isTaskRef(fn)) {
      const module = taskModuleUrl(fn, "task");
      const ref = { module, export: fn.export };
      if (this.#workers) {
        checkWorkerCloneable(args, "add thread", "its arguments");
        body = (signal) => runInWorker({ ...ref, args }, thread.ident, signal);
      } else {
        body = async (signal) => (await loadTask(ref))(...args, { signal });
      }
    } else {
      throw new TypeError(
        `Cannot add thread as 'fn' must be a function or a TaskRef: current value is ${
          describeValue(fn)
        }`,
      );
    }
    if (this.#threads.length >= this.#maxThreads) {
      throw new RangeError(
        `Cannot add thread as the group already runs 'maxThreads' threads: current value is ${this.#maxThreads}`,
      );
    }
    const thread: Thread = new Thread(body);
    this.#threads.push(thread);
    thread.wait().then(
      () => this.#threadDone(thread),
      (err) => {
        this.#threadDone(thread);
        // Muted: only the stop's own outcome (its reason, or an AbortError from what the signal
        // ended); a thread that fails some other way after a stop is still a failure.
        const { aborted, reason } = thread.signal;
        const stopped = aborted &&
          (err === reason || (err instanceof DOMException && err.name === "AbortError"));
        if (!stopped) getLogger().error(`Thread ${thread.ident} failed`, err);
      },
    );
    return thread;
  }

  /**
   * Starts a {@linkcode FixedIntervalLoopingCall} calling `fn` every `interval` ms and keeps it
   * in `timers`.
   *
   * @param interval Milliseconds from the start of one call to the start of the next.
   * @param fn The function (a returned promise is awaited).
   * @param options `initialDelay` (ms), `stopOnException`. Not `interval`: that is the first
   *   argument, and `options` never overrides it.
   * @returns The started timer.
   * @throws {RangeError} When a duration is negative or not finite.
   * @throws {TypeError} When `fn` is not a function, `options` not an object, or `options` has an
   *   `interval` (not undefined), which would be a second, conflicting interval.
   */
  addTimer(
    interval: number,
    fn: () => unknown,
    options: AddTimerOptions = {},
  ): FixedIntervalLoopingCall {
    checkOptionsObject(options, "add timer");
    // oslo's add_timer(interval, callback, initial_delay) and API.md take the interval as the
    // first argument only: an `interval` here (from JavaScript, or `start()`'s options passed on)
    // is a second one, and picking either silently would run the timer at a rate nobody chose.
    const extra = (options as { interval?: unknown }).interval;
    if (extra !== undefined) {
      throw new TypeError(
        `Cannot add timer as 'interval' is not an option of addTimer() (the interval is its first argument): current value is ${
          describeValue(extra)
        }`,
      );
    }
    const timer = new FixedIntervalLoopingCall(fn, { clock: this.#clock }).start({
      ...options,
      interval,
    });
    this.#timers.push(timer);
    return timer;
  }

  /**
   * Starts a {@linkcode DynamicLoopingCall} (the function returns the next delay in ms) and
   * keeps it in `timers`.
   *
   * @param fn Returns the milliseconds until the next call, or `undefined`.
   * @param options `initialDelay`, `periodicIntervalMax` (ms), `stopOnException`.
   * @returns The started timer.
   * @throws {RangeError} When a duration is negative or not finite.
   * @throws {TypeError} When `fn` is not a function or `options` not an object.
   */
  addDynamicTimer(
    fn: () => number | undefined | void | Promise<number | undefined | void>,
    options: AddDynamicTimerOptions = {},
  ): DynamicLoopingCall {
    checkOptionsObject(options, "add timer");
    const timer = new DynamicLoopingCall(fn, { clock: this.#clock }).start(options);
    this.#timers.push(timer);
    return timer;
  }

  /**
   * Stops every timer and removes them from `timers`.
   *
   * @param options `wait`: also wait for each timer's loop to end (errors are logged as
   *   "Error waiting on timer.").
   * @returns A promise that resolves when done.
   * @throws {TypeError} At the call, when `options` is not an object or `wait` not a boolean.
   */
  stopTimers(options: StopTimersOptions = {}): Promise<void> {
    checkOptionsObject(options, "stop timers");
    // A truthy string ("false") must not turn waiting on.
    const wait = checkBooleanOption(options.wait, "stop timers", "wait") ?? false;
    const timers = this.#timers.splice(0);
    for (const timer of timers) timer.stop();
    return wait ? waitForTimers(timers) : Promise.resolve();
  }

  /**
   * Stops the group's timers and threads.
   *
   * @param options `graceful: true` waits for timers and threads to end by themselves (a
   *   thread's failure is logged once, as "Thread <n> failed"), the calling one included: from
   *   inside one of them, start the stop without awaiting it; the default stops every timer,
   *   aborts every thread's signal, terminates Worker threads and drops them from `threads`
   *   before it returns.
   * @returns A promise that resolves when done.
   * @throws {TypeError} At the call, when `options` is not an object or `graceful` not a boolean.
   */
  stop(options: ThreadGroupStopOptions = {}): Promise<void> {
    checkOptionsObject(options, "stop ThreadGroup");
    // A truthy string ("no") must not make the stop wait for every thread.
    const graceful = checkBooleanOption(options.graceful, "stop ThreadGroup", "graceful") ?? false;
    if (graceful) return this.#stopGracefully();
    // Done at the call, as oslo's stop(): a thread added right after it is not stopped by it.
    // stopTimers() without `wait` stops the timers before it returns.
    void this.stopTimers();
    for (const thread of this.#threads.splice(0)) thread.stop();
    return Promise.resolve();
  }

  async #stopGracefully(): Promise<void> {
    await this.stopTimers({ wait: true });
    // A thread's failure was logged already, as "Thread <n> failed", where it was added.
    for (const thread of [...this.#threads]) await thread.wait().catch(() => {});
  }

  /**
   * Waits for the threads running now to end (their errors were logged), then for every
   * timer's loop (stop them first, or this waits as long as they run).
   *
   * @returns A promise that resolves when all have ended.
   * @throws {unknown} The first timer's error (rejects).
   */
  async wait(): Promise<void> {
    await Promise.allSettled(this.#threads.map((t) => t.wait()));
    for (const timer of [...this.#timers]) await timer.wait();
  }

  /**
   * Stops the group without grace and waits for its in-isolate threads to settle.
   *
   * @returns A promise that resolves when done.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    const threads = [...this.#threads];
    const timers = [...this.#timers];
    await this.stop();
    await Promise.allSettled([...threads.map((t) => t.wait()), ...timers.map((t) => t.wait())]);
  }

  #threadDone(thread: Thread): void {
    const i = this.#threads.indexOf(thread);
    if (i >= 0) this.#threads.splice(i, 1);
  }
}
