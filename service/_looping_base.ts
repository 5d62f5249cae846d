// The loop every looping call shares (oslo's `_common` LoopingCallBase, by composition): an
// optional initial delay, then call -> decide the next start -> sleep, until stopped, finished
// with LoopingCallDone, or failed. The variants only supply the `next` policy; the sleeps go
// through a Clock, so the same code runs on both backends and under FakeClock.

import type { Clock } from "../runtime/clock.ts";
import { getLogger } from "../runtime/logger.ts";
import { sleepUntil } from "../runtime/_precise_sleep.ts";
import type { TimerThread } from "../runtime/_timer_thread.ts";
import { systemClock } from "../runtime/clock.ts";
import { checkNumber } from "../runtime/_check_number.ts";
import { describeValue } from "../runtime/_describe.ts";
// A cycle (looping_call.ts imports this file); only used inside functions, so safe.
import { LoopingCallDone } from "./looping_call_errors.ts";

// The timer thread (a Web Worker) is loaded by the first loop that uses one, not at fjord's import.
let timerThreads: Promise<typeof import("../runtime/_timer_thread.ts")> | undefined;

/**
 * Decides when the next call starts (an absolute clock time; a past time means at once) from the
 * finished call's result and its start and end times. Throwing ends the loop with that error.
 */
export type NextStart = (result: unknown, started: number, ended: number) => number;

/** What a started loop runs. */
export interface LoopPlan {
  initialDelay: number;
  /** Woken through the isolate's timer thread on the system clock (short fixed intervals). */
  timerThread: boolean;
  /** Wait the last stretch before each call blocking the isolate (no timer thread). */
  precise: boolean;
  stopOnException: boolean;
  next: NextStart;
}

export function formatMs(ms: number): string {
  return ms.toFixed(2);
}

export function functionLabel(fn: (...a: never[]) => unknown): string {
  return fn.name ? `'${fn.name}'` : "<anonymous>";
}

/** A delay in ms: a TypeError for a non-number ("5"), a RangeError for NaN, -1 or Infinity. */
export function checkDelay(value: unknown, what: string, param: string): number {
  return checkNumber(
    value,
    what,
    param,
    "a finite number >= 0",
    (n) => n >= 0 && n !== Infinity, // false for NaN
  );
}

export function checkFunction(fn: unknown, what: string, param = "fn"): void {
  if (typeof fn !== "function") {
    throw new TypeError(
      `Cannot ${what} as '${param}' must be a function: current value is ${describeValue(fn)}`,
    );
  }
}

/** One looping call's state: at most one loop at a time; restartable once finished. */
export class LoopRunner<T> {
  readonly kind: string;
  readonly label: string;
  readonly clock: Clock;
  #fn: () => unknown;
  #busyMessage: string;
  #controller: AbortController | undefined;
  #done: Promise<T | true> | undefined;
  #running = false;

  constructor(kind: string, busyMessage: string, fn: () => unknown, clock: Clock) {
    this.kind = kind;
    this.#busyMessage = busyMessage;
    this.#fn = fn;
    this.label = functionLabel(fn);
    this.clock = clock;
  }

  get running(): boolean {
    return this.#running;
  }

  start(plan: LoopPlan): void {
    if (this.#running) throw new DOMException(this.#busyMessage, "InvalidStateError");
    const controller = new AbortController();
    this.#controller = controller;
    this.#running = true;
    const done = this.#run(controller.signal, plan);
    // The error was logged; a caller that never waits must not crash the isolate.
    done.catch(() => {});
    this.#done = done;
  }

  stop(): void {
    this.#controller?.abort();
  }

  wait(): Promise<T | true> {
    if (this.#done === undefined) {
      throw new DOMException(
        `Cannot wait for the ${this.kind.toLowerCase()} as it was never started`,
        "InvalidStateError",
      );
    }
    return this.#done;
  }

  async dispose(): Promise<void> {
    this.stop();
    if (this.#done !== undefined) await this.#done.catch(() => {});
  }

  /** Sleeps until `due`; `false` when stop() woke it. */
  async #sleep(
    due: number,
    signal: AbortSignal,
    precise: boolean,
    thread: TimerThread | undefined,
  ): Promise<boolean> {
    try {
      await sleepUntil(this.clock, due, signal, precise, thread);
      return true;
    } catch (err) {
      if (signal.aborted && err === signal.reason) return false;
      throw err;
    }
  }

  async #run(signal: AbortSignal, plan: LoopPlan): Promise<T | true> {
    const { clock, kind, label } = this;
    const fn = this.#fn;
    const log = getLogger();
    // Like oslo's thread, the loop starts after start() has returned.
    await null;
    // Starting the timer thread's Worker blocks this isolate for ~10-40 ms. With an initial
    // delay it is started once the first due time is taken, so the delay counts from start() and
    // absorbs it. Without one it is started before the first call, which it delays, so that the
    // schedule (anchored on that call) has no late tick after it: started at the first sleep
    // instead, it made the second call of a 10 ms loop ~20 ms late (W6 p99 20 ms, measured).
    const due = clock.now() + plan.initialDelay;
    const thread = plan.timerThread && !plan.precise && clock === systemClock
      ? (await (timerThreads ??= import("../runtime/_timer_thread.ts"))).acquireTimerThread()
      : undefined;
    const sleep = (until: number): Promise<boolean> =>
      this.#sleep(until, signal, plan.precise, thread);
    try {
      if (plan.initialDelay > 0 && !await sleep(due)) return true;
      while (!signal.aborted) {
        const started = clock.now();
        let result: unknown;
        try {
          // Called as a plain function: `this` inside it must not be the runner.
          result = await fn();
        } catch (err) {
          if (err instanceof LoopingCallDone || plan.stopOnException) throw err;
          log.error(`${kind} ${label} failed`, err);
          result = 0;
        }
        if (signal.aborted) break;
        const ended = clock.now();
        const due = plan.next(result, started, ended);
        log.debug(`${kind} ${label} sleeping for ${formatMs(Math.max(0, due - ended))} ms`);
        if (!await sleep(due)) break;
      }
      return true;
    } catch (err) {
      if (err instanceof LoopingCallDone) return err.retvalue as T;
      log.error(`${kind} ${label} failed`, err);
      throw err;
    } finally {
      thread?.release();
      this.#running = false;
    }
  }
}
