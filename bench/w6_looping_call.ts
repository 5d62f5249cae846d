// W6 looping-call timing accuracy: a 10 ms FixedIntervalLoopingCall over 300 ticks, as the peer
// kit defines it (../shared/peers/README.md). Each tick records performance.now() on entry; tick 0
// is T0; lateness_k = start_k - (T0 + k * 10 ms) for k = 1..299. Metrics: mean, p99
// (nearest-rank), max, min and the last tick's lateness (drift). Two conditions: an idle
// machine, and with a Web Worker burning a core (another isolate of the same process, the
// threading backend's situation). Each for default timers, `precise: true`, and the floor in
// the same run: a self-correcting setTimeout loop in Deno (each tick arms
// setTimeout(due - now) for T0 + k * 10 ms, as the node kit's loop does).
//
// Blocked event loop per tick: a separate run of each loop (idle machine) with a probe Worker
// that posts its clock (performance.timeOrigin + now()) every 0.25 ms; a message the main
// isolate handles late means its event loop could not run then. The union of the late spans
// (delay over 0.1 ms beyond the smallest delay seen, which absorbs the two isolates' clock
// offset) divided by the 299 intervals is `blocked_ms_per_tick`; the longest is `max_stall_ms`.
// Its resolution is the probe period (a stall under ~0.25 ms may be missed), and scheduler
// delays on a loaded machine count too: the floor's figure, measured alike, is the baseline.
// The probe runs apart from the lateness runs so its 4,000 messages/s cannot move those.
// Correctness: exactly 300 ordered ticks and the loop ends by itself.
//
//   deno run --allow-read bench/w6_looping_call.ts

import { FixedIntervalLoopingCall, initBackend, LoopingCallDone } from "../backends/mod.ts";
import { check, emit, log, mean, percentile } from "./_common.ts";

const INTERVAL = 10;
const TICKS = 300;

type Loop = () => Promise<number[]>;

function fjordLoop(precise: boolean): Loop {
  return async () => {
    const stamps: number[] = [];
    const call = new FixedIntervalLoopingCall(() => {
      stamps.push(performance.now());
      if (stamps.length >= TICKS) throw new LoopingCallDone("done");
    }).start({ interval: INTERVAL, precise });
    const ret = await call.wait();
    check(ret === "done", `looping call did not finish cleanly: ${String(ret)}`);
    return stamps;
  };
}

// The floor: the node kit's self-correcting setTimeout loop, in Deno.
const floorLoop: Loop = () =>
  new Promise((resolve) => {
    const stamps: number[] = [];
    const tick = (): void => {
      const now = performance.now();
      stamps.push(now);
      if (stamps.length >= TICKS) return resolve(stamps);
      const due = stamps[0]! + stamps.length * INTERVAL;
      setTimeout(tick, Math.max(0, due - now));
    };
    tick();
  });

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

const PROBE_MS = 0.25;
const LATE_MS = 0.1;
const PROBE = `
self.onmessage = (e) => {
  const stop = new Int32Array(e.data);
  const cell = new Int32Array(new SharedArrayBuffer(4));
  while (Atomics.load(stop, 0) === 0) {
    postMessage(performance.timeOrigin + performance.now());
    Atomics.wait(cell, 0, 0, ${PROBE_MS});
  }
  postMessage("done");
  self.close();
};`;

function workerOf(source: string): { worker: Worker; url: string } {
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  return { worker: new Worker(url, { type: "module" }), url };
}

async function blocked(peer: string, loop: Loop): Promise<void> {
  const { worker, url } = workerOf(PROBE);
  const sent: number[] = [];
  const received: number[] = [];
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const done = Promise.withResolvers<void>();
  worker.onmessage = (e: MessageEvent<number | "done">): void => {
    if (e.data === "done") return done.resolve();
    received.push(performance.timeOrigin + performance.now());
    sent.push(e.data);
  };
  worker.postMessage(stop.buffer);
  // Let the probe settle before the loop starts.
  await new Promise((r) => setTimeout(r, 100));
  const from = sent.length;
  const stamps = await loop();
  const to = sent.length;
  Atomics.store(stop, 0, 1);
  await done.promise;
  worker.terminate();
  URL.revokeObjectURL(url);
  check(stamps.length === TICKS, `${peer}: ${stamps.length} ticks`);
  check(to - from > 1000, `${peer}: only ${to - from} probe messages`);
  let base = Infinity;
  for (let i = from; i < to; i++) base = Math.min(base, received[i]! - sent[i]!);
  let total = 0;
  let maxStall = 0;
  let spanStart = -Infinity;
  let spanEnd = -Infinity;
  const close = (): void => {
    if (spanEnd > spanStart) {
      total += spanEnd - spanStart;
      maxStall = Math.max(maxStall, spanEnd - spanStart);
    }
  };
  for (let i = from; i < to; i++) {
    const s = sent[i]! + base;
    const r = received[i]!;
    if (r - s <= LATE_MS) continue;
    if (s > spanEnd) {
      close();
      spanStart = s;
    }
    spanEnd = Math.max(spanEnd, r);
  }
  close();
  const perTick = total / (TICKS - 1);
  log(
    `${peer}: blocked ${perTick.toFixed(3)} ms per tick (${
      total.toFixed(1)
    } ms in all), longest stall ${maxStall.toFixed(3)} ms, ${to - from} probes`,
  );
  emit(peer, "W6", "blocked_ms_per_tick", perTick, "ms");
  emit(peer, "W6", "max_stall_ms", maxStall, "ms");
}

initBackend("threading");
const DEFAULT = "fjord.FixedIntervalLoopingCall";
const PRECISE = "fjord.FixedIntervalLoopingCall (precise)";
const FLOOR = "deno self-correcting setTimeout (floor)";
report(DEFAULT, await fjordLoop(false)());
report(PRECISE, await fjordLoop(true)());
report(FLOOR, await floorLoop());
await blocked(DEFAULT, fjordLoop(false));
await blocked(PRECISE, fjordLoop(true));
await blocked(FLOOR, floorLoop);

const { worker: burner, url } = workerOf(BURNER);
await new Promise<void>((resolve) => {
  burner.onmessage = () => resolve();
  burner.postMessage("go");
});
report(`${DEFAULT} (cpu-burning Worker)`, await fjordLoop(false)());
report(`${PRECISE} (cpu-burning Worker)`, await fjordLoop(true)());
report(`${FLOOR} (cpu-burning Worker)`, await floorLoop());
burner.terminate();
URL.revokeObjectURL(url);
