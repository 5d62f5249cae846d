// A timer thread: a small Web Worker that wakes this isolate at a due time to a fraction of a
// millisecond without blocking it. Deno's timers fire on a millisecond tick, typically 1-1.5 ms
// late and much later on a busy machine (Atomics.waitAsync's timeout fires on the same tick),
// so a fixed-interval loop that must start on time either wakes early and waits out the rest
// in its own isolate (blocking it, or spending CPU in yielded turns, which a busy OS punishes
// with preemption) or asks another thread. The thread sleeps in the kernel (`Atomics.wait`, with
// a timeout to the microsecond) until the earliest due time and posts the sleeper's slot back;
// the message wakes this isolate's event loop at once (measured: ~0.1-0.4 ms after the due time
// when idle). Requests go through shared memory (the thread is blocked in `Atomics.wait`, so it
// never reads messages): one epoch-microsecond due time per slot, and a generation counter it is
// woken on.
//
// One thread per isolate, started when the first user acquires it and ended when the last one
// releases it: a live Worker keeps the process alive, so it must not outlive the loops that use
// it. Until it is ready (a Worker starts in ~15-30 ms) `sleep()` declines and the caller waits
// on its own, through `coarseSleep()` (no timer: a process's first one costs Deno 7-12 ms).

import { type QuietDelay, quietDelay } from "./_quiet_delay.ts";

const SLOTS = 64;
const GEN = 0;
const STOP = 1;
const READY = -1;

// The Worker's whole program. Epoch time (timeOrigin + now) is the clock both isolates share;
// the isolate that asked re-checks its own clock when woken, so an offset between the two can
// only make a wake-up late, never early.
const SOURCE = `
self.onmessage = (e) => {
  self.onmessage = null;
  const ctl = new Int32Array(e.data, 0, 2);
  const dues = new BigInt64Array(e.data, 8, ${SLOTS});
  postMessage(${READY});
  for (;;) {
    const gen = Atomics.load(ctl, ${GEN});
    if (Atomics.load(ctl, ${STOP}) !== 0) break;
    const now = BigInt(Math.floor((performance.timeOrigin + performance.now()) * 1000));
    let next = Infinity;
    for (let i = 0; i < ${SLOTS}; i++) {
      const due = Atomics.load(dues, i);
      if (due === 0n) continue;
      if (due <= now) {
        if (Atomics.compareExchange(dues, i, due, 0n) === due) postMessage(i);
      } else {
        next = Math.min(next, Number(due - now) / 1000);
      }
    }
    Atomics.wait(ctl, ${GEN}, gen, next);
  }
  self.close();
};`;

interface Sleeper {
  due: number;
  resolve: () => void;
}

/** A user's hold on the isolate's timer thread. */
export interface TimerThread {
  /**
   * Resolves once `performance.now() >= due` (or a little before it: the caller finishes the
   * wait), woken by the thread; rejects with `signal.reason` when aborted. `undefined` when the
   * thread cannot take the sleep (not ready yet, gone, or all slots busy): the caller sleeps on
   * its own.
   */
  sleep(due: number, signal: AbortSignal): Promise<void> | undefined;
  /**
   * While the thread is starting, a caller's own coarse wait of about `ms` (as late as a timer,
   * or cut short when the thread ends), or `undefined` once it has ended or the hold was given
   * back. Not a timer: a process's first timer costs Deno 7-12 ms (see _quiet_delay.ts), which
   * made a loop's first tick that late; the starting Worker keeps the process alive meanwhile.
   * Resolves at once when `signal` aborts (the caller checks it).
   */
  coarseSleep(ms: number, signal: AbortSignal): Promise<void> | undefined;
  /** Gives the hold back (idempotent); the last one ends the thread. */
  release(): void;
}

interface Thread {
  worker: Worker;
  url: string;
  ctl: Int32Array;
  dues: BigInt64Array;
  ready: boolean;
  ended: boolean;
  users: number;
  sleepers: (Sleeper | undefined)[];
  coarse: Set<QuietDelay>;
}

let current: Thread | undefined;

function startThread(): Thread {
  const sab = new SharedArrayBuffer(8 + 8 * SLOTS);
  const url = URL.createObjectURL(new Blob([SOURCE], { type: "text/javascript" }));
  const worker = new Worker(url, { type: "module" });
  const thread: Thread = {
    worker,
    url,
    ctl: new Int32Array(sab, 0, 2),
    dues: new BigInt64Array(sab, 8, SLOTS),
    ready: false,
    ended: false,
    users: 0,
    sleepers: new Array(SLOTS).fill(undefined),
    coarse: new Set(),
  };
  worker.onmessage = (e: MessageEvent<number>): void => {
    if (e.data === READY) {
      thread.ready = true;
      return;
    }
    const sleeper = thread.sleepers[e.data];
    thread.sleepers[e.data] = undefined;
    sleeper?.resolve();
  };
  worker.onerror = (e: ErrorEvent): void => {
    // Never expected; the sleepers fall back to the caller's own timers.
    e.preventDefault();
    endThread(thread);
  };
  worker.postMessage(sab);
  return thread;
}

function endThread(thread: Thread): void {
  if (current === thread) current = undefined;
  if (thread.ended) return;
  thread.ended = true;
  thread.ready = false;
  Atomics.store(thread.ctl, STOP, 1);
  Atomics.add(thread.ctl, GEN, 1);
  Atomics.notify(thread.ctl, GEN);
  thread.worker.terminate();
  URL.revokeObjectURL(thread.url);
  for (const delay of thread.coarse) delay.cancel();
  thread.coarse.clear();
  // Whoever still sleeps wakes now and finishes on its own clock (never early).
  for (let i = 0; i < SLOTS; i++) {
    const sleeper = thread.sleepers[i];
    thread.sleepers[i] = undefined;
    sleeper?.resolve();
  }
}

function sleepOn(thread: Thread, due: number, signal: AbortSignal): Promise<void> | undefined {
  if (!thread.ready || current !== thread) return undefined;
  const slot = thread.sleepers.indexOf(undefined);
  if (slot < 0) return undefined;
  const epochUs = BigInt(Math.ceil((performance.timeOrigin + due) * 1000));
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      if (thread.sleepers[slot] !== sleeper) return;
      thread.sleepers[slot] = undefined;
      Atomics.compareExchange(thread.dues, slot, epochUs, 0n);
      reject(signal.reason);
    };
    const sleeper: Sleeper = {
      due,
      resolve: (): void => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      },
    };
    thread.sleepers[slot] = sleeper;
    signal.addEventListener("abort", onAbort, { once: true });
    Atomics.store(thread.dues, slot, epochUs);
    Atomics.add(thread.ctl, GEN, 1);
    Atomics.notify(thread.ctl, GEN);
  });
}

function coarseSleepOn(thread: Thread, ms: number, signal: AbortSignal): Promise<void> | undefined {
  if (thread.ended || current !== thread) return undefined;
  const delay = quietDelay(ms);
  const onAbort = (): void => delay.cancel();
  thread.coarse.add(delay);
  signal.addEventListener("abort", onAbort, { once: true });
  return delay.promise.then(() => {
    thread.coarse.delete(delay);
    signal.removeEventListener("abort", onAbort);
  });
}

/** Takes a hold on this isolate's timer thread, starting it if needed. */
export function acquireTimerThread(): TimerThread {
  let thread: Thread;
  try {
    thread = current ?? (current = startThread());
  } catch {
    // No Worker here (an embedder without them): every sleep is the caller's own.
    return { sleep: () => undefined, coarseSleep: () => undefined, release: () => {} };
  }
  thread.users++;
  let held = true;
  return {
    sleep: (due, signal) => held ? sleepOn(thread, due, signal) : undefined,
    coarseSleep: (ms, signal) => held ? coarseSleepOn(thread, ms, signal) : undefined,
    release(): void {
      if (!held) return;
      held = false;
      if (--thread.users === 0) endThread(thread);
    },
  };
}
