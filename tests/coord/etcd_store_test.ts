// The etcd driver's create on each of its paths: the write-only txn on an empty directory, its
// fallback read when the directory was not empty, a retried create of a key already there, and
// the one-txn path of a directory seen contended.

import assert from "node:assert/strict";
import { EtcdStore } from "../../coord/_etcd_store.ts";
import { waitFor } from "../_util.ts";
import { connectsUnderWay, engines, fillAcceptQueue, fresh, ownRedis } from "./_servers.ts";

const etcd = engines.find((e) => e.name === "etcd")!;
const redis = engines.find((e) => e.name === "redis")!;
const hosts = etcd.url.slice("etcd://".length).split(",");
const OWN = { own: true, queue: true };

Deno.test("etcd store: create answers what is ahead on every path", {
  ignore: !etcd.available,
}, async () => {
  const stores = [0, 1, 2, 3].map(() => new EtcdStore(hosts, 5_000));
  const [s0, s1, s2, s3] = stores as [EtcdStore, EtcdStore, EtcdStore, EtcdStore];
  const lease = await s0.grant(10_000);
  try {
    const dir = `fjord/lock/${fresh("store")}/`;
    // Empty directory: the write-only txn.
    const a = await s0.create(dir, `${dir}a`, "m", lease, OWN);
    assert.equal(a.created, true);
    assert.equal(a.ahead, undefined);
    assert.equal(a.rev, a.createRev);

    // Not empty, first try of this store: the key is put, then what is ahead is read.
    const b = await s1.create(dir, `${dir}b`, "m", lease, OWN);
    assert.equal(b.created, true);
    assert.ok(b.createRev > a.createRev);
    assert.equal(b.ahead?.key, `${dir}a`);
    assert.equal(b.ahead?.createRev, a.createRev);
    assert.ok(b.rev >= b.createRev);

    // A retried create of a key already there keeps its create revision and is not "created".
    const again = await s2.create(dir, `${dir}b`, "m", lease, OWN);
    assert.equal(again.created, false);
    assert.equal(again.createRev, b.createRev);
    assert.equal(again.ahead?.key, `${dir}a`);

    // The same on the path of a store that saw the directory contended (one txn).
    const again1 = await s1.create(dir, `${dir}b`, "m", lease, OWN);
    assert.equal(again1.created, false);
    assert.equal(again1.createRev, b.createRev);
    assert.equal(again1.ahead?.key, `${dir}a`);

    // A third key: the one ahead is the newest before it, not the oldest.
    const c = await s1.create(dir, `${dir}c`, "m", lease, OWN);
    assert.equal(c.created, true);
    assert.equal(c.ahead?.key, `${dir}b`);
    const d = await s3.create(dir, `${dir}d`, "m", lease, OWN);
    assert.equal(d.ahead?.key, `${dir}c`);

    // Emptied: a store that saw it contended finds its key alone, then writes only again.
    for (const k of ["a", "b", "c", "d"]) await s0.delete(dir, `${dir}${k}`);
    const e = await s1.create(dir, `${dir}e`, "m", lease, OWN);
    assert.equal(e.ahead, undefined);
    await s1.delete(dir, `${dir}e`);
    const f = await s1.create(dir, `${dir}f`, "m", lease, OWN);
    assert.equal(f.ahead, undefined);
    assert.equal(f.rev, f.createRev);

    // A key that is not the session's own is never overwritten: a tick already claimed.
    const tick = `fjord/tick/${fresh("store")}/`;
    const t1 = await s0.create(tick, `${tick}1`, "first", lease);
    const t2 = await s2.create(tick, `${tick}1`, "second", lease);
    assert.equal(t1.created, true);
    assert.equal(t2.created, false);
    assert.equal(t2.createRev, t1.createRev);
    const { kvs } = await s0.range(tick);
    assert.deepEqual(kvs.map((kv) => [kv.value, kv.modRev]), [["first", t1.createRev]]);
  } finally {
    await s0.revoke(lease);
    for (const s of stores) await s.close();
  }
});

Deno.test("etcd store: waits end in queue order, on abort and on close", {
  ignore: !etcd.available,
}, async () => {
  const holder = new EtcdStore(hosts, 5_000);
  const store = new EtcdStore(hosts, 5_000);
  const lease = await holder.grant(10_000);
  try {
    const dir = `fjord/lock/${fresh("mirror")}/`;
    const a = await holder.create(dir, `${dir}a`, "m", lease, OWN);
    const b = await holder.create(dir, `${dir}b`, "m", lease, OWN);
    const c = await store.create(dir, `${dir}c`, "m", lease, OWN);
    const d = await store.create(dir, `${dir}d`, "m", lease, OWN);
    const done: string[] = [];
    const never = new AbortController().signal;
    const cWaits = store.waitFirst(dir, c.createRev, never).then(() => done.push("c"));
    const dWaits = store.waitFirst(dir, d.createRev, never).then(() => done.push("d"));
    const gaveUp = new AbortController();
    const e = await store.create(dir, `${dir}e`, "m", lease, OWN);
    const eWaits = store.waitFirst(dir, e.createRev, gaveUp.signal);
    gaveUp.abort(new Error("gave up"));
    await assert.rejects(eWaits, { message: "gave up" });
    // b leaves the queue while a holds: nobody behind it may go.
    await holder.delete(dir, `${dir}b`);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(done, []);
    await holder.delete(dir, `${dir}a`);
    await cWaits;
    assert.deepEqual(done, ["c"]);
    await holder.delete(dir, `${dir}c`);
    await dWaits;
    assert.deepEqual(done, ["c", "d"]);
    assert.ok(a.createRev < b.createRev && b.createRev < c.createRev);

    // The stream is let go some time after the last wait; a later wait opens another.
    await new Promise((r) => setTimeout(r, 1_500));
    const f = await holder.create(dir, `${dir}f`, "m", lease, OWN);
    const fWaits = store.waitFirst(dir, f.createRev, never);
    await holder.delete(dir, `${dir}d`);
    await holder.delete(dir, `${dir}e`);
    await fWaits;

    // close() ends a wait and its stream.
    const g = await store.create(dir, `${dir}g`, "m", lease, OWN);
    const gWaits = assert.rejects(store.waitFirst(dir, g.createRev, never), {
      message: "store closed",
    });
    await store.close();
    await gWaits;
  } finally {
    await holder.revoke(lease);
    await holder.close();
    await store.close();
  }
});

// A frozen server whose accept queue is full stands for a black-holed host (any listener would
// do: no request gets as far as being read). A connect to it hangs while the kernel retries its
// SYN, minutes in all.
Deno.test(
  "etcd store: closing() ends a call whose connect hangs, and the revoke's connect ends at the close budget, leaving no connect behind",
  {
    ignore: !redis.available,
  },
  async () => {
    await using server = await ownRedis({ tcpBacklog: 1 });
    Deno.kill(server.pid, "SIGSTOP");
    const filled = await fillAcceptQueue(server.url);
    const store = new EtcdStore([server.url.slice("redis://".length)], 6_000);
    try {
      const call = assert.rejects(store.keepAlive("1"), /store closing/);
      await new Promise((r) => setTimeout(r, 300));
      let t0 = performance.now();
      store.closing();
      await call;
      const ended = performance.now() - t0;
      assert.ok(ended < 100, `the call under way ended ${Math.round(ended)} ms after closing()`);
      t0 = performance.now();
      await assert.rejects(store.revoke("1"), /within 1000 ms/);
      const revoke = performance.now() - t0;
      assert.ok(revoke < 1_600, `the revoke took ${Math.round(revoke)} ms`);
      // A cancelled connect's socket goes a moment after the abort; an abandoned one stays for
      // the kernel's SYN retries (seconds to minutes).
      await waitFor(
        async () => await connectsUnderWay(server.url) === 0,
        "no connect under way",
        2_000,
      );
    } finally {
      await store.close();
      for (const c of filled) c.close();
      Deno.kill(server.pid, "SIGCONT");
    }
  },
);
