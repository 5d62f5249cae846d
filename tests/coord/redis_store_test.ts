import assert from "node:assert/strict";
import { RespConnection } from "../../coord/_resp.ts";
import { RedisStore } from "../../coord/_redis_store.ts";
import { engines, fresh } from "./_servers.ts";

const redis = engines.find((e) => e.name === "redis")!;
const [hostname, port] = redis.url.slice("redis://".length).split(":") as [string, string];

async function fields(dir: string): Promise<string[]> {
  const c = await RespConnection.open(hostname, Number(port));
  try {
    return (await c.send("HKEYS", `fjord:dir:${dir}`) as string[]).sort();
  } finally {
    c.close();
  }
}

Deno.test(
  "coord redis: revoke deletes the queue keys it is told of, only those of its own lease",
  { ignore: !redis.available },
  async () => {
    // Lock queue keys are in no lease set (the lock path never writes one): the client names
    // them at revoke, and a name of another lease's key must not delete that key.
    const store = await RedisStore.open(hostname, Number(port), 1_000);
    try {
      const dir = `fjord/lock/${fresh("revoke")}/`;
      const [a, b] = await Promise.all([store.grant(1_000), store.grant(1_000)]);
      const created = await store.create(dir, `${dir}${a}-0`, "a", a, { queue: true });
      assert.equal(created.created, true);
      assert.equal(created.ahead, undefined);
      const queued = await store.create(dir, `${dir}${b}-0`, "b", b, { queue: true });
      assert.equal(queued.ahead?.key, `${dir}${a}-0`);
      assert.ok(queued.createRev > created.createRev);
      await store.revoke(b, [`${dir}${a}-0`, `${dir}${b}-0`]);
      assert.deepEqual(await fields(dir), [`${dir}${a}-0`]);
      await store.revoke(a, [`${dir}${a}-0`, `${dir}${a}-1`]);
      assert.deepEqual(await fields(dir), []);
      // A revoked lease creates nothing, on the fast path (empty directory) too.
      await assert.rejects(store.create(dir, `${dir}${a}-0`, "a", a, { queue: true }), {
        name: "LeaseGoneError",
      });
      assert.deepEqual(await fields(dir), []);
    } finally {
      await store.close();
    }
  },
);

Deno.test(
  "coord redis: close ends a blocked watch and nothing reconnects after it",
  { ignore: !redis.available },
  async () => {
    const store = await RedisStore.open(hostname, Number(port), 1_000);
    const dir = `fjord/lock/${fresh("close-watch")}/`;
    const never = new AbortController().signal;
    const lease = await store.grant(1_000);
    const { rev } = await store.range(dir);
    const events = store.watch(dir, undefined, rev + 1n, never);
    // Blocked in XREAD (an empty directory answers nothing) when close() comes.
    const next = events.next();
    await new Promise((r) => setTimeout(r, 100));
    await store.revoke(lease);
    await store.close();
    // Bounded: a watch that reconnects after close() would block here for good.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error("the watch outlived close()")), 5_000);
    });
    await assert.rejects(Promise.race([next, late]), { message: "store closed" });
    clearTimeout(timer);
    // Calls after close fail at once rather than opening a connection no one closes.
    await assert.rejects(store.range(dir), { message: "store closed" });
    // Deno's sanitizer reports any connection that outlived the test.
  },
);

Deno.test(
  "coord redis: a hand-off wakes only the next waiter, is kept until it waits, and leaves no wake behind",
  { ignore: !redis.available },
  async () => {
    // waitFirst blocks on a wake stream of its own key (XREAD), added to by whoever removes the
    // key ahead of it while that key is the oldest: the waiters behind are not woken at all, and
    // a wake added before the wait began is still there for it.
    const store = await RedisStore.open(hostname, Number(port), 10_000);
    const c = await RespConnection.open(hostname, Number(port));
    try {
      const dir = `fjord/lock/${fresh("wake")}/`;
      const wake = (rev: bigint): string => `fjord:wake:${dir}${rev}`;
      const lease = await store.grant(10_000);
      const q = { queue: true };
      const a = await store.create(dir, `${dir}${lease}-0`, "a", lease, q);
      const b = await store.create(dir, `${dir}${lease}-1`, "b", lease, q);
      const d = await store.create(dir, `${dir}${lease}-2`, "d", lease, q);
      assert.equal(d.ahead?.key, `${dir}${lease}-1`);
      // The holder goes before b waits: b's wake is added (and kept), d's is not.
      await store.delete(dir, `${dir}${lease}-0`, q);
      assert.equal(await c.send("XLEN", wake(b.createRev)), 1);
      assert.equal(await c.send("EXISTS", wake(d.createRev)), 0);
      const never = new AbortController().signal;
      const t0 = performance.now();
      await store.waitFirst(dir, b.createRev, never);
      // Well under the 250 ms of a quiet wait's look (reapEvery with this TTL).
      assert.ok(performance.now() - t0 < 200, `waitFirst took ${performance.now() - t0} ms`);
      assert.equal(await c.send("EXISTS", wake(b.createRev)), 0);
      // d waits; deleting a key that is not the oldest wakes nobody.
      let dFirst = false;
      const controller = new AbortController();
      const dWaits = store.waitFirst(dir, d.createRev, controller.signal).then(() => dFirst = true);
      const e = await store.create(dir, `${dir}${lease}-3`, "e", lease, q);
      await store.delete(dir, `${dir}${lease}-3`, q);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(dFirst, false);
      assert.equal(await c.send("EXISTS", wake(e.createRev)), 0);
      // d gives up as b hands over, with f behind it: the wake added for d (unread: its closed
      // connection may have read it, never deleted it) goes with d's key, whose delete wakes f.
      const f = await store.create(dir, `${dir}${lease}-4`, "f", lease, q);
      controller.abort(new Error("gave up"));
      await assert.rejects(dWaits, { message: "gave up" });
      await store.delete(dir, `${dir}${lease}-1`, q);
      assert.equal(await c.send("EXISTS", wake(f.createRev)), 0);
      await store.delete(dir, `${dir}${lease}-2`, q);
      assert.equal(await c.send("EXISTS", wake(d.createRev)), 0);
      assert.equal(await c.send("XLEN", wake(f.createRev)), 1);
      await store.waitFirst(dir, f.createRev, never);
      await store.delete(dir, `${dir}${lease}-4`, q);
      assert.deepEqual(await fields(dir), []);
      assert.deepEqual(await c.send("KEYS", `fjord:wake:${dir}*`), []);
      assert.ok(a.createRev < b.createRev);
      await store.revoke(lease);
    } finally {
      c.close();
      await store.close();
    }
  },
);

Deno.test(
  "coord redis: close ends a blocked waitFirst and nothing reconnects after it",
  { ignore: !redis.available },
  async () => {
    // waitFirst listens to the caller's signal only: close() ends it by closing its connection.
    const store = await RedisStore.open(hostname, Number(port), 1_000);
    const dir = `fjord/lock/${fresh("close-wait")}/`;
    const lease = await store.grant(1_000);
    const q = { queue: true };
    await store.create(dir, `${dir}${lease}-0`, "a", lease, q);
    const b = await store.create(dir, `${dir}${lease}-1`, "b", lease, q);
    const waiting = store.waitFirst(dir, b.createRev, new AbortController().signal);
    await new Promise((r) => setTimeout(r, 100));
    await store.revoke(lease, [`${dir}${lease}-0`, `${dir}${lease}-1`]);
    await store.close();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error("the wait outlived close()")), 5_000);
    });
    await assert.rejects(Promise.race([waiting, late]), { message: "store closed" });
    clearTimeout(timer);
    await assert.rejects(store.waitFirst(dir, b.createRev, new AbortController().signal), {
      message: "store closed",
    });
  },
);
