// Sleeping until an absolute clock time, precisely enough for fixed-interval loops.
//
// Deno's setTimeout fires about 0.2-1.5 ms after its due time when idle (it truncates the delay
// to whole milliseconds and fires on a millisecond tick), more under load. A fixed-interval loop
// passes the isolate's timer thread (_timer_thread.ts), which wakes it at the due time without
// blocking it or spending CPU here. Otherwise (the thread is still starting, or the loop is not
// on a fixed interval, or `precise`) the timer is set to wake a little early (while the thread
// starts, its coarse wait stands in for the timer), and the rest of the way is covered in one
// of two ways:
// - by default, yielding macrotask turns (MessageChannel, a few µs each, so other tasks of the
//   isolate keep running) until at most FINAL_BLOCK_MS is left, then a blocking `Atomics.wait`
//   for that last sliver: the isolate is blocked about FINAL_BLOCK_MS per wake-up (more only when
//   the OS deschedules the thread meanwhile). Neither
//   `Atomics.waitAsync` with a timeout nor a 0 ms setTimeout helps here: in Deno both fire on the
//   same millisecond timer tick as setTimeout (measured: ~1.2 ms median lateness).
// - with `precise`, the whole early stretch is a blocking `Atomics.wait` (the thread sleeps in the
//   kernel, no CPU spent, and wakes on time even on a loaded machine, where a yielding thread is
//   the first to be preempted); the isolate is blocked `lead` ms per wake-up.
// How early is learnt: a moving average of the timers' recent overshoot plus a margin, between
// MIN_LEAD_MS and MAX_LEAD_MS (typically 1.5-2 ms). Any other Clock (FakeClock) is used as is,
// so tests stay deterministic.

import { type Clock, systemClock } from "./clock.ts";
import { checkNumber } from "./_check_number.ts";
import type { TimerThread } from "./_timer_thread.ts";
import { oneTurn } from "./_one_turn.ts";

// setTimeout clamps delays above 2^31-1 ms to 1 ms.
const MAX_TIMER_MS = 0x7fffffff;
const MIN_LEAD_MS = 1;
const MAX_LEAD_MS = 2.5;
const MARGIN_MS = 0.5;
// A moving average of the timers' overshoot (ms); each sample is capped at MAX_LEAD_MS, since a
// longer stall (the process was descheduled) cannot be helped by waking earlier.
const WEIGHT = 0.2;
let overshoot = 1.25;
// The longest blocking wait of the default mode, per wake-up.
const FINAL_BLOCK_MS = 0.05;
// The timer thread's message reaches this isolate ~0.1-0.2 ms after the thread woke: it is asked
// for that much earlier (a moving average of the delay, less a margin, at most THREAD_LEAD_MS),
// and what is left is spun here, at most THREAD_SLACK_MS (beyond it the timer path takes over).
const THREAD_LEAD_MS = 0.2;
const THREAD_MARGIN_MS = 0.03;
const THREAD_SLACK_MS = 0.3;
let threadDelay = 0.1;

// The system-clock sleeps end this much after `due`: the loop reads the clock just before a call,
// and the first call of a loop (cold code) takes a few µs longer to reach the user's first line than
// later ones, so a later call ending exactly on time would look early from inside the function.
const GUARD_MS = 0.05;

let blocked = 0;

/**
 * Total ms this isolate has spent blocked in `Atomics.wait` by sleepUntil (both modes), for
 * benchmarks and tests that bound the cost per tick.
 */
export function blockedMs(): number {
  return blocked;
}

function leadMs(): number {
  return Math.min(Math.max(overshoot + MARGIN_MS, MIN_LEAD_MS), MAX_LEAD_MS);
}

const WAIT_CELL = new Int32Array(new SharedArrayBuffer(4));

/** Blocks this thread until `performance.now() >= due` (the cell is never notified). */
function blockUntil(due: number): void {
  const start = performance.now();
  for (let left = due - performance.now(); left > 0; left = due - performance.now()) {
    Atomics.wait(WAIT_CELL, 0, 0, left);
  }
  blocked += performance.now() - start;
}

/**
 * Checks the time until `due` without a syscall: a sleeping syscall, however short, lets a busy OS
 * hand the core to another thread for a whole scheduler slice (measured: ~1 ms under load).
 */
function spinUntil(due: number): void {
  const start = performance.now();
  while (performance.now() < due) {
    // Only FINAL_BLOCK_MS at most.
  }
  blocked += performance.now() - start;
}

/**
 * A plain setTimeout of whole milliseconds that may fire a little early (Deno truncates
 * fractional delays) and is not re-armed when it does: the blocking wait that follows absorbs it.
 * (systemClock.sleep() re-arms an early timer, and a re-armed sub-millisecond timer fires a
 * millisecond or two late.)
 */
function timerSleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms > MAX_TIMER_MS) return systemClock.sleep(ms, { signal });
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Sleeps until `clock.now() >= due`, never waking before it. On the system clock the sleep wakes
 * a little early from a timer and finishes with yielding turns plus a blocking wait of at most
 * FINAL_BLOCK_MS, or (`precise`) with one blocking wait of `lead` ms. A due time already past
 * still yields one macrotask turn, so a loop that never sleeps cannot starve the isolate.
 * With a `thread` (default mode only), the timer thread wakes the isolate at the due time
 * instead, when it can take the sleep: no CPU spent and nothing blocked while waiting.
 * Rejects with `signal.reason` when aborted.
 */
export async function sleepUntil(
  clock: Clock,
  due: number,
  signal: AbortSignal,
  precise: boolean,
  thread?: TimerThread,
): Promise<void> {
  if (signal.aborted) throw signal.reason;
  // As every Clock's sleep(): NaN is an error, not "at once" (which resolved here without
  // yielding a turn, so a loop computing NaN spun in microtasks and hung the isolate).
  checkNumber(due, "sleep", "due", "a number other than NaN", (n) => !Number.isNaN(n));
  if (clock !== systemClock) {
    // Past due settles in a microtask, as every Clock's sleep(0): a FakeClock drives loops
    // deterministically that way (a loop always due on one never yields; see the README).
    await clock.sleep(due - clock.now(), { signal });
    return;
  }
  if (!precise && thread !== undefined && due > performance.now()) {
    const lead = Math.min(Math.max(threadDelay - THREAD_MARGIN_MS, 0), THREAD_LEAD_MS);
    const aim = due + GUARD_MS - lead;
    const woken = thread.sleep(aim, signal);
    if (woken !== undefined) {
      await woken;
      const now = performance.now();
      // Capped: a stall of this isolate says nothing about the message's delay.
      threadDelay += WEIGHT * (Math.min(Math.max(now - aim, 0), THREAD_SLACK_MS) - threadDelay);
      const left = due + GUARD_MS - now;
      if (left <= 0) return;
      if (left <= THREAD_SLACK_MS) return spinUntil(due + GUARD_MS);
    }
  }
  const start = performance.now();
  if (due <= start) {
    await oneTurn(signal);
    return;
  }
  const wakeIn = Math.floor(due - leadMs() - start);
  if (wakeIn >= 1) {
    const coarse = thread?.coarseSleep(wakeIn, signal);
    if (coarse === undefined) {
      await timerSleep(wakeIn, signal);
    } else {
      await coarse;
      // Cut short by the thread's end (not by an abort): a timer covers the rest.
      const rest = Math.floor(start + wakeIn - performance.now());
      if (rest >= 1 && !signal.aborted) await timerSleep(rest, signal);
    }
    const sample = Math.min(Math.max(performance.now() - start - wakeIn, 0), MAX_LEAD_MS);
    overshoot += WEIGHT * (sample - overshoot);
  }
  if (signal.aborted) throw signal.reason;
  due += GUARD_MS;
  if (precise) {
    blockUntil(due);
    return;
  }
  while (due - performance.now() > FINAL_BLOCK_MS) await oneTurn(signal);
  spinUntil(due);
}
