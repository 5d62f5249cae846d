// A fresh isolate whose Web Workers take 200 ms to construct (the constructor blocks, as a real
// one does for ~10-40 ms): it starts a fixed-interval loop with the initialDelay of its argument
// and prints, as JSON, the order in which its first call and the timer thread's Worker came, and
// when (ms after start()) the first call ran.

import { FixedIntervalLoopingCall } from "../../../service/mod.ts";

const BLOCK_MS = 200;
const events: string[] = [];
const RealWorker = globalThis.Worker;
globalThis.Worker = class extends RealWorker {
  constructor(url: string | URL, options?: WorkerOptions) {
    events.push("worker");
    const until = performance.now() + BLOCK_MS;
    while (performance.now() < until) {
      // the constructor's own blocking, made long
    }
    super(url, options);
  }
};

const initialDelay = Number(Deno.args[0]);
let firstCall = -1;
const t0 = performance.now();
const call = new FixedIntervalLoopingCall(() => {
  if (firstCall < 0) firstCall = performance.now() - t0;
  events.push("call");
  call.stop();
}).start({ interval: 1000, initialDelay });
await call.wait();
// deno-lint-ignore no-console -- the test reads this line
console.log(JSON.stringify({ events, firstCall }));
