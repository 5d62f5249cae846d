// Two fixed-interval loops on the system clock, sharing the isolate's timer thread, that end by
// themselves; the program then returns without Deno.exit(): it ends only if the thread does.
// Prints { minLateness, maxLateness, timers } in ms over both loops' calls; `timers` counts the
// setTimeout/setInterval calls of the whole program (a process's first one costs Deno 7-12 ms).
// `deno run on_time_loops.ts`.

import { FixedIntervalLoopingCall, LoopingCallDone } from "@fjord/fjord";
import { traceTimers, withTimerThreadHeld } from "../../_util.ts";

let timers = 0;
traceTimers(() => timers++);

// Lateness of each call after the first against `before + k * interval`: the loop's schedule is
// anchored on its clock reading just before its first call, which comes after `before` (the
// first call's own reading would not do: a preempted first call made the others look early).
async function loop(interval: number, ticks: number): Promise<number[]> {
  const stamps: number[] = [];
  const before = performance.now();
  const call = new FixedIntervalLoopingCall(() => {
    stamps.push(performance.now());
    if (stamps.length === ticks) throw new LoopingCallDone();
  }).start({ interval });
  await call.wait();
  return stamps.slice(1).map((t, k) => t - (before + (k + 1) * interval));
}

// With the timer thread already up (held by a third loop), each loop's anchor is microseconds
// after its `before`, not the ~10 ms of creating the thread, so an early call shows.
const late = (
  await withTimerThreadHeld(
    FixedIntervalLoopingCall,
    () => Promise.all([loop(7, 40), loop(11, 25)]),
  )
).flat();
// deno-lint-ignore no-console -- the test reads this line
console.log(
  JSON.stringify({ minLateness: Math.min(...late), maxLateness: Math.max(...late), timers }),
);
