import assert from "node:assert/strict";
import { initBackend, resetBackend } from "../../backends/mod.ts";
import {
  ensureSharedBeforeSpawn,
  sharedBuffer,
  spawnFjordWorker,
} from "../../backends/threading/_fjord_worker.ts";

const entry = new URL("./_fixtures/init_worker.ts", import.meta.url);

function reply(worker: Worker): Promise<{ backend: string | null }> {
  return new Promise((resolve, reject) => {
    worker.onmessage = (e) => resolve(e.data);
    worker.onerror = (e) => {
      e.preventDefault();
      reject(new Error(e.message));
    };
  });
}

Deno.test("spawnFjordWorker() shares memory and the parent's backend with the worker", async () => {
  resetBackend();
  initBackend("threading");
  try {
    const counter = new Int32Array(sharedBuffer("test.counter", 4));
    const before = Atomics.load(counter, 0);
    const workers = [
      spawnFjordWorker(entry, { data: { add: 2 } }),
      spawnFjordWorker(entry, {
        name: "second",
        data: { add: 3 },
      }),
    ];
    try {
      const replies = await Promise.all(workers.map(reply));
      assert.deepEqual(replies, [{ backend: "threading" }, { backend: "threading" }]);
      assert.equal(Atomics.load(counter, 0) - before, 5);
    } finally {
      for (const w of workers) w.terminate();
    }
  } finally {
    resetBackend();
  }
});

Deno.test("ensureSharedBeforeSpawn() hooks run before a spawn, once per registration", async () => {
  let calls = 0;
  const hook = (): void => {
    calls++;
  };
  ensureSharedBeforeSpawn(hook);
  ensureSharedBeforeSpawn(hook);
  const worker = spawnFjordWorker(entry, { data: { add: 0 } });
  try {
    const r = await reply(worker);
    assert.equal(r.backend, null);
  } finally {
    worker.terminate();
  }
  assert.equal(calls, 1);
});
