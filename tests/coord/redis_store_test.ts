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
