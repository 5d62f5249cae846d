import assert from "node:assert/strict";
import { FakeClock } from "../../backends/mod.ts";
import { ExecutorShutdownError, SynchronousExecutor } from "../../futures/mod.ts";

Deno.test("SynchronousExecutor.submit() runs the function inline and returns a done future", async () => {
  const ex = new SynchronousExecutor();
  const order: string[] = [];
  const f = ex.submit(() => {
    order.push("ran");
    return 3;
  });
  order.push("returned");
  assert.deepEqual(order, ["ran", "returned"]);
  assert.ok(f.done());
  assert.equal(await f, 3);
  const failed = ex.submit(() => {
    throw new TypeError("inline failure");
  });
  assert.ok(failed.done());
  assert.ok(await failed.exception() instanceof TypeError);
});

Deno.test("SynchronousExecutor statistics measure run time only", async () => {
  using clock = new FakeClock();
  const ex = new SynchronousExecutor({ clock });
  const f = ex.submit(() => clock.sleep(30));
  await clock.tickAsync(30);
  await f;
  ex.submit(() => {
    throw new Error("x");
  });
  assert.equal(ex.statistics.executed, 2);
  assert.equal(ex.statistics.failures, 1);
  assert.equal(ex.statistics.runtime, 30);
  assert.equal(ex.statistics.averageRuntime, 15);
});

Deno.test("SynchronousExecutor.restart() revives a shut-down executor and resets statistics", async () => {
  const ex = new SynchronousExecutor();
  ex.submit(() => 1);
  ex.restart();
  assert.equal(ex.statistics.executed, 1, "restart() is a no-op while alive");
  await ex.shutdown();
  assert.equal(ex.alive, false);
  assert.throws(() => ex.submit(() => 1), ExecutorShutdownError);
  ex.restart();
  assert.equal(ex.alive, true);
  assert.equal(ex.statistics.executed, 0);
  assert.equal(await ex.submit(() => 2), 2);
  await ex.shutdown();
});

Deno.test("SynchronousExecutor.shutdown() waits for an async function still running", async () => {
  const ex = new SynchronousExecutor();
  const { promise, resolve } = Promise.withResolvers<void>();
  const f = ex.submit(() => promise);
  assert.equal(f.running(), true);
  const stopping = ex.shutdown();
  resolve();
  await stopping;
  assert.ok(f.done());
});

Deno.test("SynchronousExecutor.shutdown({timeout}) after restart() stops hung work again", async () => {
  using clock = new FakeClock();
  const ex = new SynchronousExecutor({ clock });
  const first = ex.submit(() => new Promise(() => {}));
  const closing = ex.shutdown({ timeout: 10 });
  await clock.tickAsync(10);
  await closing;
  assert.ok(first.cancelled());
  ex.restart();
  const second = ex.submit(() => new Promise(() => {}));
  const again = ex.shutdown({ timeout: 10 });
  await clock.tickAsync(10);
  assert.ok(second.cancelled(), "the second grace period stops the hung work");
  await again;
});
