import assert from "node:assert/strict";
import { initBackend, resetBackend } from "../../backends/mod.ts";
import {
  sharedBuffer,
  spawnFjordWorker,
  terminateFjordWorker,
} from "../../runtime/_fjord_worker.ts";
import { lock } from "../../lock/mod.ts";

const entry = new URL("../backends/_fixtures/init_worker.ts", import.meta.url);
const holderEntry = new URL("../service/_fixtures/lock_holder_worker.ts", import.meta.url);

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
      for (const w of workers) terminateFjordWorker(w);
    }
  } finally {
    resetBackend();
  }
});

/** Spawns the lock-holding fixture and waits until the lock (held in it or in its child) is held. */
async function spawnHolder(name: string, nested = false): Promise<Worker> {
  const worker = spawnFjordWorker(holderEntry, { name: `holder ${name}`, data: { name, nested } });
  try {
    assert.equal(await reply(worker), "held");
  } catch (err) {
    terminateFjordWorker(worker);
    throw err;
  }
  return worker;
}

async function assertHeldElsewhere(name: string): Promise<void> {
  await assert.rejects(lock(name, { blocking: false }), { name: "AcquireLockFailedError" });
}

async function withThreading(fn: () => Promise<void>): Promise<void> {
  resetBackend();
  initBackend("threading");
  try {
    await fn();
  } finally {
    resetBackend();
  }
}

Deno.test(
  "terminateFjordWorker() releases the worker's locks, wakes a waiter, spares other workers'",
  () =>
    withThreading(async () => {
      const a = await spawnHolder("fw-term-a");
      let b: Worker | undefined;
      try {
        b = await spawnHolder("fw-term-b");
        await assertHeldElsewhere("fw-term-a");
        await assertHeldElsewhere("fw-term-b");
        // A waiter in this isolate, already asleep on the slot, is woken by the release.
        const waiting = lock("fw-term-a", { timeout: 10_000 });
        await new Promise((r) => setTimeout(r, 20));
        terminateFjordWorker(a);
        await (await waiting).release();
        // Only the terminated worker's lock was released.
        await assertHeldElsewhere("fw-term-b");
        terminateFjordWorker(b);
        // The release is synchronous: free as soon as terminateFjordWorker() returns.
        await (await lock("fw-term-b", { blocking: false })).release();
        terminateFjordWorker(b); // idempotent
      } finally {
        terminateFjordWorker(a);
        if (b !== undefined) terminateFjordWorker(b);
      }
    }),
);

Deno.test("spawnFjordWorker() releases the locks of a worker that dies of an uncaught error", () =>
  withThreading(async () => {
    const worker = await spawnHolder("fw-throw");
    try {
      await assertHeldElsewhere("fw-throw");
      const seen = new Promise<{ message: string; prevented: boolean }>((resolve) => {
        worker.onmessage = null;
        // The caller's own listener still receives the error, not yet handled by anybody.
        worker.onerror = (e) => {
          const prevented = e.defaultPrevented;
          e.preventDefault();
          resolve({ message: e.message, prevented });
        };
      });
      worker.postMessage("throw");
      const { message, prevented } = await seen;
      assert.match(message, /died holding fw-throw/);
      assert.equal(prevented, false);
      await (await lock("fw-throw", { blocking: false })).release();
    } finally {
      terminateFjordWorker(worker);
    }
  }));

Deno.test("terminateFjordWorker() also releases the locks held by the worker's descendants", () =>
  withThreading(async () => {
    const outer = await spawnHolder("fw-nested", true);
    try {
      await assertHeldElsewhere("fw-nested");
      terminateFjordWorker(outer);
      await (await lock("fw-nested", { blocking: false })).release();
    } finally {
      terminateFjordWorker(outer);
    }
  }));
