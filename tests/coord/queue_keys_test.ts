import assert from "node:assert/strict";
import { systemClock } from "../../runtime/clock.ts";
import { CoordinatorImpl } from "../../coord/_coordinator.ts";
import { MemoryStore } from "../../coord/_memory_store.ts";
import { Session } from "../../coord/_session.ts";
import type { Store } from "../../coord/_store.ts";

Deno.test("coord: a lock or campaign with an already aborted signal takes no queue key", async () => {
  const created: string[] = [];
  let revoked: string[] = [];
  const store: Store = new MemoryStore("queue-keys-test");
  const create = store.create.bind(store);
  store.create = (dir, key, value, lease, w) => {
    created.push(key);
    return create(dir, key, value, lease, w);
  };
  const revoke = store.revoke.bind(store);
  store.revoke = (lease, queueKeys) => {
    revoked = [...queueKeys ?? []];
    return revoke(lease);
  };
  const lease = await store.grant(10_000);
  const session = new Session(store, lease, 10_000, systemClock, "memory://queue-keys-test", 0);
  const coord = new CoordinatorImpl({
    store,
    session,
    memberId: "a",
    driver: "memory",
    guarantees: "linearizable",
    ttl: 10_000,
    clock: systemClock,
    url: "memory://queue-keys-test",
  });
  const signal = AbortSignal.abort(new Error("given up"));
  for (let i = 0; i < 3; i++) {
    await assert.rejects(coord.lock("job", { signal }), { message: "given up" });
    await assert.rejects(coord.campaign("g", { signal }), { message: "given up" });
  }
  assert.deepEqual(created, []);
  const held = await coord.lock("job");
  await held.release();
  const leading = await coord.campaign("g");
  await coord.close();
  assert.ok(leading.signal.aborted);
  // The first key of each directory: none was left taken by the calls that gave up.
  assert.deepEqual(created, [`fjord/lock/job/${lease}-0`, `fjord/election/g/${lease}-0`]);
  assert.deepEqual(revoked, [`fjord/election/g/${lease}-0`]);
});
