import assert from "node:assert/strict";
import { initBackend, resetBackend } from "../../backends/registry.ts";
import { sharedBuffer, spawnFjordWorker } from "../../runtime/_fjord_worker.ts";
import { lock } from "../../lock/mod.ts";
import { ensureLockTable, slotOf } from "../../lock/_shared_lock_table.ts";

const entry = new URL("./_fixtures/lock_worker.ts", import.meta.url);

function nextMessage(worker: Worker): Promise<unknown> {
  return new Promise((resolve, reject) => {
    worker.onmessage = (e) => resolve(e.data);
    worker.onerror = (e) => {
      e.preventDefault();
      reject(new Error(e.message));
    };
  });
}

async function spawnAll(count = 4): Promise<Worker[]> {
  const workers: Worker[] = [];
  try {
    // The first worker alone, so that its module type-check is cached for the others.
    for (const n of [1, count - 1]) {
      const batch = Array.from({ length: n }, () => spawnFjordWorker(entry, { name: "locker" }));
      workers.push(...batch);
      assert.deepEqual(await Promise.all(batch.map(nextMessage)), batch.map(() => "ready"));
    }
  } catch (err) {
    for (const w of workers) w.terminate();
    throw err;
  }
  return workers;
}

async function run(
  workers: Worker[],
  locked: boolean,
  iters: number,
  alsoMain: boolean,
): Promise<number> {
  const cell = new Int32Array(sharedBuffer("test.lock.counter", 4));
  Atomics.store(cell, 0, 0);
  const done = workers.map(nextMessage);
  for (const w of workers) w.postMessage({ iters, name: "shared-counter", locked });
  if (alsoMain) {
    // Two tasks in the main isolate: they also contend for the in-isolate mutex first.
    await Promise.all([0, 1].map(async () => {
      for (let i = 0; i < iters / 2; i++) {
        await using _held = await lock("shared-counter");
        const v = cell[0]!;
        await new Promise((r) => setTimeout(r, 0));
        cell[0] = v + 1;
      }
    }));
  }
  await Promise.all(done);
  return Atomics.load(cell, 0);
}

Deno.test("lock(name) excludes across 4 Web Workers and the main isolate (threading backend)", async () => {
  resetBackend();
  initBackend("threading");
  // The shared counter must exist before the workers are spawned.
  sharedBuffer("test.lock.counter", 4);
  const workers = await spawnAll();
  try {
    // The control: without the lock the read-yield-write race loses increments.
    const unlocked = await run(workers, false, 50, false);
    assert.ok(unlocked < 200, `control reached ${unlocked}: the check would be meaningless`);
    assert.equal(await run(workers, true, 100, true), 500);
  } finally {
    for (const w of workers) w.terminate();
    resetBackend();
  }
});

Deno.test("lock(name) across Workers: timeout and abort give up and leave nothing held", async () => {
  resetBackend();
  initBackend("threading");
  const [worker] = await spawnAll(1);
  try {
    const heldThere = nextMessage(worker!);
    worker!.postMessage({ op: "hold", name: "x-held" });
    assert.equal(await heldThere, "held");
    const t0 = performance.now();
    await assert.rejects(lock("x-held", { timeout: 50 }), {
      name: "TimeoutError",
      message: 'Timed out after 50 ms waiting for lock "x-held"',
    });
    assert.ok(performance.now() - t0 >= 45);
    const controller = new AbortController();
    const aborted = lock("x-held", { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await assert.rejects(aborted, { name: "AbortError" });
    await assert.rejects(lock("x-held", { blocking: false }), { name: "AcquireLockFailedError" });
    // A plain waiter is woken by the other isolate's release.
    const waiting = lock("x-held");
    const released = nextMessage(worker!);
    worker!.postMessage({ op: "release" });
    assert.equal(await released, "released");
    await (await waiting).release();
    await (await lock("x-held", { blocking: false })).release();
  } finally {
    worker!.terminate();
    resetBackend();
  }
});

function collidingNames(): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0;; i++) {
    const name = `collide-${i}`;
    const other = seen.get(slotOf(name));
    if (other !== undefined) return [other, name];
    seen.set(slotOf(name), name);
  }
}

Deno.test("lock(name) slot collisions over-exclude across Workers but never self-deadlock", async () => {
  resetBackend();
  initBackend("threading");
  const [a, b] = collidingNames();
  try {
    // Same isolate: nesting two names sharing a slot does not wait on itself.
    const outer = await lock(a);
    const inner = await lock(b, { blocking: false });
    await inner.release();
    await outer.release();
    // Another isolate holding `a` also excludes `b` here (over-exclusion, never under).
    const [worker] = await spawnAll(1);
    try {
      const held = nextMessage(worker!);
      worker!.postMessage({ op: "hold", name: a });
      assert.equal(await held, "held");
      await assert.rejects(lock(b, { blocking: false }), { name: "AcquireLockFailedError" });
      const released = nextMessage(worker!);
      worker!.postMessage({ op: "release" });
      assert.equal(await released, "released");
      await (await lock(b, { blocking: false })).release();
    } finally {
      worker!.terminate();
    }
  } finally {
    resetBackend();
  }
});

Deno.test("lock(name) takes over a slot whose owner isolate is gone, never a live owner's", async () => {
  resetBackend();
  initBackend("threading");
  const table = ensureLockTable();
  const slot = slotOf("orphaned");
  try {
    // An id whose registry entry does not hold it: a worker that died after the release scan.
    Atomics.store(table, slot, 7 * 16_384 + 16_383);
    await (await lock("orphaned", { blocking: false })).release();
    assert.equal(Atomics.load(table, slot), 0);
    // 16 384 is the id of isolates without a registry entry: always treated as live.
    Atomics.store(table, slot, 16_384);
    await assert.rejects(lock("orphaned", { blocking: false }), { name: "AcquireLockFailedError" });
  } finally {
    Atomics.store(table, slot, 0);
    resetBackend();
  }
});

Deno.test("lock(name) excludes across pool Workers even when the main module never imports lock/", async () => {
  // The lock table must be created by the spawning isolate before its Workers start.
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./_fixtures/pool_main.ts", import.meta.url).pathname],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.equal(out.code, 0);
  assert.equal(new TextDecoder().decode(out.stdout).trim(), "excluded");
});
