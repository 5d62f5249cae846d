import assert from "node:assert/strict";
import { Semaphores } from "../../lock/mod.ts";

Deno.test("Semaphores.size shrinks back to 0 when no one holds or waits", async () => {
  const semaphores = new Semaphores();
  const holds = await Promise.all(
    Array.from({ length: 100 }, (_, i) => semaphores.get(`name-${i}`).acquire()),
  );
  assert.equal(semaphores.size, 100);
  const waiter = semaphores.get("name-0").acquire();
  for (const h of holds) h[Symbol.dispose]();
  assert.equal(semaphores.size, 1);
  (await waiter)[Symbol.dispose]();
  assert.equal(semaphores.size, 0);
});

Deno.test("Semaphores.size drops a name whose only waiter gave up", async () => {
  const semaphores = new Semaphores();
  const held = semaphores.get("x").tryAcquire()!;
  const controller = new AbortController();
  const waiter = semaphores.get("x").acquire({ signal: controller.signal });
  held[Symbol.dispose]();
  assert.equal(semaphores.size, 1);
  (await waiter)[Symbol.dispose]();
  const again = semaphores.get("x").tryAcquire()!;
  const giveUp = semaphores.get("x").acquire({ signal: controller.signal });
  controller.abort();
  await assert.rejects(giveUp, { name: "AbortError" });
  again[Symbol.dispose]();
  assert.equal(semaphores.size, 0);
});

Deno.test("Semaphores.get() returns the same mutex for a name while it is referenced", async () => {
  const semaphores = new Semaphores();
  const kept = semaphores.get("db");
  (await kept.acquire())[Symbol.dispose]();
  assert.equal(semaphores.size, 0);
  // Still the same lock after an idle period, so holders of `kept` exclude later callers.
  assert.equal(semaphores.get("db"), kept);
  using _held = await kept.acquire();
  assert.equal(semaphores.get("db").tryAcquire(), undefined);
});

Deno.test("Semaphores.get() rejects a non-string name", () => {
  assert.throws(() => new Semaphores().get(42 as unknown as string), TypeError);
});

Deno.test("Semaphores.get() rejects undefined on a registry never looked up", () => {
  assert.throws(() => new Semaphores().get(undefined as unknown as string), {
    name: "TypeError",
    message: /'name' must be a string: current value is undefined/,
  });
});
