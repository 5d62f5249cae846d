/// <reference lib="deno.worker" />
// Web Worker: on each {iters, name, locked} message, increments a shared, non-atomic counter
// `iters` times (read, yield to the event loop, write back), under lock(name) when `locked`,
// then replies "done". Without cross-Worker exclusion increments are lost.
import { receiveFjordInit, sharedBuffer } from "../../../runtime/_fjord_worker.ts";
import { lock, type LockHandle } from "../../../lock/mod.ts";

await receiveFjordInit();
const cell = new Int32Array(sharedBuffer("test.lock.counter", 4));
let holding: LockHandle | undefined;
self.onmessage = async (
  e: MessageEvent<{ op?: "hold" | "release"; iters: number; name: string; locked: boolean }>,
) => {
  // {op: "hold", name} takes lock(name) and keeps it until {op: "release"}.
  if (e.data.op === "hold") {
    holding = await lock(e.data.name);
    self.postMessage("held");
    return;
  }
  if (e.data.op === "release") {
    await holding?.release();
    self.postMessage("released");
    return;
  }
  const { iters, name, locked } = e.data;
  for (let i = 0; i < iters; i++) {
    const held = locked ? await lock(name) : undefined;
    const v = cell[0]!;
    await new Promise((r) => setTimeout(r, 0));
    cell[0] = v + 1;
    await held?.release();
  }
  self.postMessage("done");
};
self.postMessage("ready");
