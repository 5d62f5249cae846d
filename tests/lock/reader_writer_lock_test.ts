import assert from "node:assert/strict";
import { FakeClock } from "../../runtime/clock.ts";
import { ReaderWriterLock } from "../../lock/mod.ts";

Deno.test("ReaderWriterLock.readLock() admits many readers at once", async () => {
  const rw = new ReaderWriterLock();
  const holds = await Promise.all([rw.readLock(), rw.readLock(), rw.readLock()]);
  assert.equal(rw.readers, 3);
  for (const h of holds) h[Symbol.dispose]();
  assert.equal(rw.readers, 0);
});

Deno.test("ReaderWriterLock.writeLock() excludes readers and writers", async () => {
  const rw = new ReaderWriterLock();
  const w = await rw.writeLock();
  const events: string[] = [];
  const r = rw.readLock().then((h) => {
    events.push("read");
    return h;
  });
  const w2 = rw.writeLock().then((h) => {
    events.push("write2");
    return h;
  });
  await Promise.resolve();
  assert.deepEqual(events, []);
  w[Symbol.dispose]();
  const rh = await r;
  assert.deepEqual(events, ["read"]);
  rh[Symbol.dispose]();
  (await w2)[Symbol.dispose]();
  assert.deepEqual(events, ["read", "write2"]);
});

Deno.test("ReaderWriterLock queues readers behind a waiting writer (no writer starvation)", async () => {
  const rw = new ReaderWriterLock();
  const r1 = await rw.readLock();
  const order: string[] = [];
  const w = rw.writeLock().then((h) => {
    order.push("writer");
    h[Symbol.dispose]();
  });
  const r2 = rw.readLock().then((h) => {
    order.push("late reader");
    h[Symbol.dispose]();
  });
  assert.equal(rw.waiting, 2);
  r1[Symbol.dispose]();
  await Promise.all([w, r2]);
  assert.deepEqual(order, ["writer", "late reader"]);
});

Deno.test("ReaderWriterLock: a writer giving up lets the readers queued behind it in", async () => {
  const clock = new FakeClock();
  const rw = new ReaderWriterLock();
  const r1 = await rw.readLock();
  const w = rw.writeLock({ timeout: 50, clock });
  const r2 = rw.readLock();
  const timedOut = assert.rejects(w, { name: "TimeoutError" });
  await clock.tickAsync(50);
  await timedOut;
  const h = await r2;
  assert.equal(rw.readers, 2);
  assert.equal(rw.waiting, 0);
  h[Symbol.dispose]();
  r1[Symbol.dispose]();
  assert.equal(clock.pending, 0);
});

Deno.test("ReaderWriterLock.writeLock() aborted leaves nothing queued", async () => {
  const rw = new ReaderWriterLock();
  const r = await rw.readLock();
  const controller = new AbortController();
  const w = rw.writeLock({ signal: controller.signal });
  controller.abort();
  await assert.rejects(w, { name: "AbortError" });
  assert.equal(rw.waiting, 0);
  r[Symbol.dispose]();
  (await rw.writeLock())[Symbol.dispose]();
  assert.throws(() => rw.readLock({ timeout: -1 }), RangeError);
});

Deno.test("ReaderWriterLock: a 'timeout' given as a string is a TypeError, as -1 a RangeError", async () => {
  const rw = new ReaderWriterLock();
  await assert.rejects(async () => await rw.readLock({ timeout: "2" as unknown as number }), {
    name: "TypeError",
    message: "Cannot acquire lock as 'timeout' must be a number >= 0: current value is string 2",
  });
  await assert.rejects(async () => await rw.writeLock({ timeout: -1 }), {
    name: "RangeError",
    message: "Cannot acquire lock as 'timeout' must be a number >= 0: current value is number -1",
  });
});

Deno.test("ReaderWriterLock: a non-signal 'signal' throws a TypeError and queues nothing: a writer gets the lock once the holder releases", async () => {
  const rw = new ReaderWriterLock();
  const writer = await rw.writeLock();
  const bad = { signal: {} as unknown as AbortSignal };
  assert.throws(() => rw.readLock(bad), {
    name: "TypeError",
    message:
      "Cannot acquire lock as 'signal' must be an AbortSignal: current value is an instance of Object",
  });
  assert.throws(() => rw.writeLock(bad), { name: "TypeError", message: /'signal'/ });
  assert.equal(rw.waiting, 0);
  writer[Symbol.dispose]();
  assert.equal(rw.readers, 0);
  const next = await rw.writeLock({ timeout: 1000 });
  next[Symbol.dispose]();
});

Deno.test("ReaderWriterLock: a waiter whose clock throws when its timeout is armed is not left queued", async () => {
  const rw = new ReaderWriterLock();
  const writer = await rw.writeLock();
  const broken = {
    now: () => 0,
    sleep: (): Promise<void> => {
      throw new Error("clock broken");
    },
  };
  await assert.rejects(rw.readLock({ timeout: 10, clock: broken }), { message: "clock broken" });
  assert.equal(rw.waiting, 0);
  writer[Symbol.dispose]();
  const next = await rw.writeLock({ timeout: 1000 });
  next[Symbol.dispose]();
});
