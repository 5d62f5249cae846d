import assert from "node:assert/strict";
import { Mutex } from "../../lock/mod.ts";
import { FakeClock } from "../../runtime/clock.ts";

Deno.test("Mutex.acquire() grants waiters in FIFO order", async () => {
  const mutex = new Mutex();
  const order: number[] = [];
  const first = await mutex.acquire();
  const waits = [1, 2, 3, 4, 5].map((i) =>
    mutex.acquire().then((held) => {
      order.push(i);
      held[Symbol.dispose]();
    })
  );
  assert.equal(mutex.waiting, 5);
  first[Symbol.dispose]();
  await Promise.all(waits);
  assert.deepEqual(order, [1, 2, 3, 4, 5]);
  assert.equal(mutex.locked, false);
});

Deno.test("Mutex.acquire() hands over without letting a tryAcquire() barge in", async () => {
  const mutex = new Mutex();
  const first = mutex.tryAcquire()!;
  const second = mutex.acquire();
  first[Symbol.dispose]();
  assert.equal(mutex.tryAcquire(), undefined);
  (await second)[Symbol.dispose]();
  assert.equal(mutex.locked, false);
});

Deno.test("Mutex.acquire() excludes concurrent read-modify-write sections", async () => {
  const mutex = new Mutex();
  let counter = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    for (let i = 0; i < 100; i++) {
      using _held = await mutex.acquire();
      const v = counter;
      await Promise.resolve();
      counter = v + 1;
    }
  }));
  assert.equal(counter, 800);
});

Deno.test("Mutex.tryAcquire() succeeds only when free", () => {
  const mutex = new Mutex();
  const held = mutex.tryAcquire();
  assert.ok(held);
  assert.equal(mutex.locked, true);
  assert.equal(mutex.tryAcquire(), undefined);
  held[Symbol.dispose]();
  assert.equal(mutex.locked, false);
  mutex.tryAcquire()![Symbol.dispose]();
});

Deno.test("Mutex disposable releases once: a second dispose does not free another holder", async () => {
  const mutex = new Mutex();
  const a = await mutex.acquire();
  a[Symbol.dispose]();
  const b = await mutex.acquire();
  a[Symbol.dispose]();
  assert.equal(mutex.locked, true);
  b[Symbol.dispose]();
  assert.equal(mutex.locked, false);
});

Deno.test("Mutex.acquire() aborted leaves nothing queued and later waiters still get the lock", async () => {
  const mutex = new Mutex();
  const held = await mutex.acquire();
  const controller = new AbortController();
  const aborted = mutex.acquire({ signal: controller.signal });
  const next = mutex.acquire();
  assert.equal(mutex.waiting, 2);
  const reason = new Error("stop");
  controller.abort(reason);
  await assert.rejects(aborted, (e) => e === reason);
  assert.equal(mutex.waiting, 1);
  held[Symbol.dispose]();
  (await next)[Symbol.dispose]();
  assert.equal(mutex.locked, false);
  assert.equal(mutex.waiting, 0);
});

Deno.test("Mutex.acquire() with an already aborted signal rejects without taking the lock", async () => {
  const mutex = new Mutex();
  await assert.rejects(mutex.acquire({ signal: AbortSignal.abort() }), { name: "AbortError" });
  assert.equal(mutex.locked, false);
});

Deno.test("Mutex.acquire() with a non-signal 'signal' throws a TypeError and queues nothing: the lock is free after its holder releases", async () => {
  const mutex = new Mutex();
  const held = await mutex.acquire();
  for (const bad of [{}, 5, "stop", null]) {
    assert.throws(() => mutex.acquire({ signal: bad as unknown as AbortSignal }), {
      name: "TypeError",
      message: /^Cannot acquire mutex as 'signal' must be an AbortSignal: current value is /,
    });
  }
  assert.throws(() => mutex.acquire(null as unknown as { signal?: AbortSignal }), {
    name: "TypeError",
    message: /'options' must be an object/,
  });
  assert.equal(mutex.waiting, 0);
  held[Symbol.dispose]();
  assert.equal(mutex.locked, false);
  const again = mutex.tryAcquire();
  assert.ok(again);
  again[Symbol.dispose]();
});

Deno.test("Mutex.acquire({ timeout }) gives up with a TimeoutError and leaves nothing queued", async () => {
  // The option was ignored: the waiter waited for ever.
  using clock = new FakeClock();
  const mutex = new Mutex();
  const held = mutex.tryAcquire()!;
  const waiting = mutex.acquire({ timeout: 100, clock });
  const outcome = waiting.then(() => "granted", (e: unknown) => (e as Error).name);
  assert.equal(mutex.waiting, 1);
  await clock.tickAsync(100);
  assert.equal(await outcome, "TimeoutError");
  assert.equal(mutex.waiting, 0);
  held[Symbol.dispose]();
  assert.equal(mutex.locked, false);
  assert.throws(() => mutex.acquire({ timeout: -1 }), RangeError);
  assert.throws(() => mutex.acquire({ timeout: "5" as never }), TypeError);
  // A free mutex is taken whatever the timeout.
  (await mutex.acquire({ timeout: 0 }))[Symbol.dispose]();
});
