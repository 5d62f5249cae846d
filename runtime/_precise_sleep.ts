// Sleeping until an absolute clock time, precisely enough for fixed-interval loops.
//
// Deno's setTimeout fires about 0.2-1.5 ms after its due time when idle (it truncates the delay
// to whole milliseconds and fires on a millisecond tick), more under load. For a precise sleep
// on the system clock (fixed-interval loops) the timer is therefore set to wake a little early,
// and the last stretch is a blocking `Atomics.wait` with a sub-millisecond timeout: the thread
// sleeps in the kernel (no CPU spent) and wakes on time. Measured on a shared 2-core machine,
// this held p99 lateness of a 10 ms loop to 0.14-0.61 ms where a yielding busy-wait
// (MessageChannel turns) got 2.8-5.2 ms, because a spinning thread is the first to be
// preempted. The price: the isolate is blocked for that stretch, `lead` ms per wake-up. How
// early is learnt: a moving average of the timers' recent overshoot plus a margin, between
// MIN_LEAD_MS and MAX_LEAD_MS (typically 1.5-2 ms). Any other Clock (FakeClock) is used as is,
// so tests stay deterministic.

import { type Clock, systemClock } from "./clock.ts";

// setTimeout clamps delays above 2^31-1 ms to 1 ms.
const MAX_TIMER_MS = 0x7fffffff;
const MIN_LEAD_MS = 1;
const MAX_LEAD_MS = 2.5;
const MARGIN_MS = 0.5;
// A moving average of the timers' overshoot (ms); each sample is capped at MAX_LEAD_MS, since a
// longer stall (the process was descheduled) cannot be helped by waking earlier.
const WEIGHT = 0.2;
let overshoot = 1.25;

function leadMs(): number {
  return Math.min(Math.max(overshoot + MARGIN_MS, MIN_LEAD_MS), MAX_LEAD_MS);
}

/** Yields one macrotask turn (a few µs), or rejects with `signal.reason` when aborted first. */
function oneTurn(signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const { port1, port2 } = new MessageChannel();
    const finish = (): void => {
      signal.removeEventListener("abort", onAbort);
      port1.close();
      port2.close();
    };
    const onAbort = (): void => {
      finish();
      reject(signal.reason);
    };
    port1.onmessage = (): void => {
      finish();
      resolve();
    };
    signal.addEventListener("abort", onAbort, { once: true });
    port2.postMessage(null);
  });
}

const WAIT_CELL = new Int32Array(new SharedArrayBuffer(4));

/** Blocks this thread until `performance.now() >= due` (the cell is never notified). */
function blockUntil(due: number): void {
  for (let left = due - performance.now(); left > 0; left = due - performance.now()) {
    Atomics.wait(WAIT_CELL, 0, 0, left);
  }
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
 * Sleeps until `clock.now() >= due`; `precise` (system clock only) ends the sleep with the
 * blocking wait described above. With the system clock a due time already past still yields one
 * macrotask turn, so a loop that never sleeps cannot starve the isolate.
 * Rejects with `signal.reason` when aborted.
 */
export async function sleepUntil(
  clock: Clock,
  due: number,
  signal: AbortSignal,
  precise: boolean,
): Promise<void> {
  if (signal.aborted) throw signal.reason;
  if (clock !== systemClock) {
    await clock.sleep(due - clock.now(), { signal });
    return;
  }
  const start = performance.now();
  if (due <= start) {
    await oneTurn(signal);
    return;
  }
  if (!precise) {
    await systemClock.sleep(due - start, { signal });
    return;
  }
  const wakeIn = Math.floor(due - leadMs() - start);
  if (wakeIn >= 1) {
    await timerSleep(wakeIn, signal);
    const sample = Math.min(Math.max(performance.now() - start - wakeIn, 0), MAX_LEAD_MS);
    overshoot += WEIGHT * (sample - overshoot);
  }
  if (signal.aborted) throw signal.reason;
  blockUntil(due);
}
