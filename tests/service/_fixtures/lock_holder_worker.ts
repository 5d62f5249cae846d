/// <reference lib="deno.worker" />
// Web Worker for terminateFjordWorker()'s tests: takes lock(name) and replies "held". With
// `nested`, it instead starts another copy of itself (through spawnFjordWorker) that takes the
// lock, and forwards its "held". On a "throw" message it throws an uncaught error while holding.
import { receiveFjordInit, spawnFjordWorker } from "../../../runtime/_fjord_worker.ts";
import { lock, type LockHandle } from "../../../lock/mod.ts";

const { name, nested } = await receiveFjordInit<{ name: string; nested: boolean }>();
self.onmessage = (e: MessageEvent<string>) => {
  if (e.data === "throw") throw new Error(`died holding ${name}`);
};
if (nested) {
  const inner = spawnFjordWorker(import.meta.url, { data: { name, nested: false } });
  inner.onmessage = (e) => self.postMessage(e.data);
} else {
  const held: LockHandle = await lock(name);
  // Kept reachable on purpose: the test is about a holder that never releases.
  (globalThis as { held?: LockHandle }).held = held;
  self.postMessage("held");
}
