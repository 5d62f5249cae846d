// W6 looping-call timing accuracy: a 10 ms FixedIntervalLoopingCall over 300 ticks, as the peer
// kit defines it (../shared/peers/README.md). Each tick records performance.now() on entry; tick 0
// is T0; lateness_k = start_k - (T0 + k * 10 ms) for k = 1..299. Metrics: mean, p99
// (nearest-rank), max, min and the last tick's lateness (drift). Two runs: an idle machine, and
// with a Web Worker burning a core (another isolate of the same process, the threading backend's
// situation). Each run twice: default timers, and `precise: true` (blocking final wait).
// Correctness: exactly 300 ordered ticks and the loop ends by itself.
//
//   deno run --allow-read bench/w6_looping_call.ts

import { FixedIntervalLoopingCall, initBackend, LoopingCallDone } from "../backends/mod.ts";
import { check, emit, log, mean, percentile } from "./_common.ts";

const INTERVAL = 10;
const TICKS = 300;

async function run(precise: boolean): Promise<number[]> {
  const stamps: number[] = [];
  const call = new FixedIntervalLoopingCall(() => {
    stamps.push(performance.now());
    if (stamps.length >= TICKS) throw new LoopingCallDone("done");
  }).start({ interval: INTERVAL, precise });
  const ret = await call.wait();
  check(ret === "done", `looping call did not finish cleanly: ${String(ret)}`);
  return stamps;
}

function report(peer: string, stamps: number[]): void {
  check(stamps.length === TICKS, `${peer}: ${stamps.length} ticks`);
  check(stamps.every((t, i) => i === 0 || t >= stamps[i - 1]!), `${peer}: unordered`);
  const t0 = stamps[0]!;
  const late: number[] = [];
  for (let k = 1; k < TICKS; k++) late.push(stamps[k]! - (t0 + k * INTERVAL));
  const max = Math.max(...late);
  const min = Math.min(...late);
  const last = late[late.length - 1]!;
  log(
    `${peer}: mean ${mean(late).toFixed(3)} ms p99 ${percentile(late, 99).toFixed(3)} ms max ${
      max.toFixed(3)
    } ms min ${min.toFixed(3)} ms last ${last.toFixed(3)} ms`,
  );
  emit(peer, "W6", "mean_lateness_ms", mean(late), "ms");
  emit(peer, "W6", "p99_lateness_ms", percentile(late, 99), "ms");
  emit(peer, "W6", "max_lateness_ms", max, "ms");
  emit(peer, "W6", "min_lateness_ms", min, "ms");
  emit(peer, "W6", "last_tick_lateness_ms", last, "ms");
}

const BURNER = `
function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
// Burns in 50 ms slices: a Worker stuck in one endless loop is not reliably terminated by
// Deno (the process then never exits), and the slices keep the core ~100 % busy anyway.
function burn() {
  const end = performance.now() + 50;
  while (performance.now() < end) fib(20);
  setTimeout(burn, 0);
}
self.onmessage = () => {
  postMessage("started");
  burn();
};`;

initBackend("threading");
report("fjord.FixedIntervalLoopingCall", await run(false));
report("fjord.FixedIntervalLoopingCall (precise)", await run(true));

const url = URL.createObjectURL(new Blob([BURNER], { type: "text/javascript" }));
const burner = new Worker(url, { type: "module" });
await new Promise<void>((resolve) => {
  burner.onmessage = () => resolve();
  burner.postMessage("go");
});
report("fjord.FixedIntervalLoopingCall (cpu-burning Worker)", await run(false));
report("fjord.FixedIntervalLoopingCall (precise, cpu-burning Worker)", await run(true));
burner.terminate();
URL.revokeObjectURL(url);
