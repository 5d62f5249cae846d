// Faults on real servers, with coordinators in child processes: SIGSTOP past the TTL, SIGKILL,
// broken watch streams.

import assert from "node:assert/strict";
import { connect, LockLostError, type MembershipEvent } from "../../coord/mod.ts";
import { RespConnection } from "../../coord/_resp.ts";
import { waitFor } from "../_util.ts";
import { fencedWrite, initResource, readResource } from "./_fixtures/fenced_resource.ts";
import { spawnMember } from "./_child.ts";
import {
  connectsUnderWay,
  engines,
  fillAcceptQueue,
  fresh,
  ownEtcd,
  ownRedis,
  serverKeys,
} from "./_servers.ts";

for (const engine of engines.filter((e) => e.name !== "memory")) {
  const ttl = engine.name === "etcd" ? 2_000 : 1_000;
  const opts = { ignore: !engine.available };

  Deno.test(
    `coord ${engine.name}: a holder frozen past its TTL wakes aborted and its late write is refused`,
    opts,
    async () => {
      const dir = await Deno.makeTempDir({ prefix: "fjord-coord-" });
      const resource = `${dir}/resource.json`;
      await initResource(resource);
      const name = fresh("frozen");
      const child = spawnMember(["hold", engine.url, String(ttl), name, resource]);
      try {
        const held = await child.line(/^held /);
        const frozenToken = BigInt(held.split(" ")[1]!);
        await child.line(/^live accepted/);
        child.process.kill("SIGSTOP");
        const frozenAt = child.lines.length;
        await using coord = await connect(engine.url, { ttl });
        const t0 = performance.now();
        await using mine = await coord.lock(name, { timeout: ttl * 4 });
        const waited = performance.now() - t0;
        assert.ok(mine.token > frozenToken);
        assert.ok(waited < ttl + 2_000, `took over after ${waited} ms`);
        assert.equal(await fencedWrite(resource, mine.token, 1_000), true);
        child.process.kill("SIGCONT");
        await child.line(/^aborted /);
        const after = child.lines.slice(frozenAt);
        assert.ok(after.every((l) => l.endsWith("refused")), `late writes: ${after}`);
        assert.equal(after.at(-1), "aborted refused");
        const state = await readResource(resource);
        assert.equal(state.highest, String(mine.token));
        assert.equal(state.counter, 1_000);
      } finally {
        await child.kill();
        await Deno.remove(dir, { recursive: true });
      }
    },
  );

  Deno.test(
    `coord ${engine.name}: a SIGKILLed leader is replaced within TTL + 1 s`,
    opts,
    async () => {
      const group = fresh("failover");
      const members = [0, 1].map(() => spawnMember(["campaign", engine.url, String(ttl), group]));
      try {
        await Promise.all(members.map((m) => m.line(/^campaigning/)));
        const first = await Promise.race(members.map((m) => m.line(/^leader /).then(() => m)));
        const other = members.find((m) => m !== first)!;
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(other.lines.some((l) => l.startsWith("leader")), false);
        const killedAt = performance.timeOrigin + performance.now();
        await first.kill();
        const line = await other.line(/^leader /, ttl + 5_000);
        const electedAt = Number(line.split(" ")[2]);
        const failover = electedAt - killedAt;
        assert.ok(failover < ttl + 1_000, `failover took ${failover} ms`);
        assert.ok(
          BigInt(line.split(" ")[1]!) > BigInt(
            first.lines.find((l) => l.startsWith("leader"))!.split(" ")[1]!,
          ),
        );
      } finally {
        await Promise.all(members.map((m) => m.kill()));
      }
    },
  );
}

const redis = engines.find((e) => e.name === "redis")!;
Deno.test(
  "coord redis: a group watch whose connection is killed resumes without missing an event",
  { ignore: !redis.available },
  async () => {
    await using watcher = await connect(redis.url, { ttl: 1_000 });
    await using joiner = await connect(redis.url, { ttl: 1_000 });
    const group = fresh("resume");
    const controller = new AbortController();
    const seen: MembershipEvent[] = [];
    const watching = (async () => {
      for await (const e of watcher.watch(group, { signal: controller.signal })) seen.push(e);
    })();
    // The watch starts its range asynchronously: a join before it is a member, not an event.
    // Cycle leave/join until the watch reports one, so it is live before the kill.
    // Any event seen means it is live (the last cycle's join may still be on its way).
    await waitFor(
      async () => {
        if (seen.length > 0) return true;
        await joiner.leave(group);
        await joiner.join(group, { capabilities: 1 });
        return false;
      },
      "the watch to report an event",
      30_000,
    );
    // Events come in order: once this one is in, none of the cycles' events is still on its way.
    await joiner.leave(group);
    await joiner.join(group, { capabilities: "ready" });
    await waitFor(() => seen.at(-1)?.member.capabilities === "ready", "the ready join", 30_000);
    const before = seen.length;
    const [hostname, port] = redis.url.slice("redis://".length).split(":") as [string, string];
    const admin = await RespConnection.open(hostname, Number(port));
    try {
      // Kill every blocked XREAD connection, then change the group while the watch reconnects.
      const clients = String(await admin.send("CLIENT", "LIST"));
      for (const m of clients.matchAll(/id=(\d+) .*cmd=xread/g)) {
        await admin.send("CLIENT", "KILL", "ID", m[1]!);
      }
      await joiner.leave(group);
      await joiner.join(group, { capabilities: 2 });
    } finally {
      admin.close();
    }
    await waitFor(() => seen.length === before + 2, "2 more events", 30_000);
    controller.abort();
    await watching;
    assert.deepEqual(
      seen.slice(before - 1).map((e) => `${e.type} ${JSON.stringify(e.member.capabilities)}`),
      ['join "ready"', 'leave "ready"', "join 2"],
    );
  },
);

Deno.test(
  "coord redis: after an unpersisted restart, a member from before it sees its lease lost, " +
    "never touches the lease a new member was granted, and the new holder's token is higher",
  { ignore: !redis.available },
  async () => {
    await using server = await ownRedis();
    // The old member's keepalives are 2 s apart, so the new member is granted its lease first.
    const old = await connect(server.url, { ttl: 6_000 });
    try {
      const oldLock = await old.lock("restart");
      await server.restart();
      await using newer = await connect(server.url, { ttl: 1_000 });
      await using newerLock = await newer.lock("restart", { timeout: 5_000 });
      // A fenced resource that saw the old holder's token accepts the new holder's writes.
      assert.ok(
        newerLock.token > oldLock.token,
        `token after the restart ${newerLock.token} <= before it ${oldLock.token}`,
      );
      await waitFor(() => oldLock.signal.aborted, "the old member to see its lease lost", 10_000);
      assert.equal(old.lost.aborted, true);
      assert.throws(() => oldLock.assertHeld(), LockLostError);
      // The old member's close revokes only its own lease.
      await old.close();
      await new Promise((r) => setTimeout(r, 1_500));
      assert.equal(newer.lost.aborted, false);
      newerLock.assertHeld();
      await using third = await connect(server.url, { ttl: 1_000 });
      assert.equal(await third.tryLock("restart"), undefined);
    } finally {
      await old.close();
    }
  },
);

const etcd = engines.find((e) => e.name === "etcd")!;
for (const [engine, own] of [[etcd, ownEtcd], [redis, ownRedis]] as const) {
  Deno.test(
    `coord ${engine.name}: close() on a frozen server ends the requests under way at once and ` +
      "gives the revoke a bounded try, leaving nothing running",
    { ignore: !engine.available },
    async () => {
      await using server = await own();
      // A long TTL: before the fix, close() waited out the keepalive under way and then the
      // revoke, each up to the TTL (~12 s here).
      const coord = await connect(server.url, { ttl: 6_000 });
      let frozen = false;
      try {
        await coord.lock("held");
        Deno.kill(server.pid, "SIGSTOP");
        frozen = true;
        // A keepalive (every ttl / 3) and a lock's create are both under way when close() runs.
        await new Promise((r) => setTimeout(r, 2_000 + 300));
        const waiting = coord.lock("wanted");
        const refused = assert.rejects(waiting, { name: "CoordinatorUnavailableError" });
        await new Promise((r) => setTimeout(r, 100));
        const t0 = performance.now();
        await coord.close();
        const took = performance.now() - t0;
        await refused;
        assert.ok(took < 1_600, `close() took ${Math.round(took)} ms`);
      } finally {
        if (frozen) Deno.kill(server.pid, "SIGCONT");
        await coord.close();
      }
      // The test's op and resource sanitizers check that no request, timer or connection is left.
    },
  );
}

for (const [engine, own] of [[etcd, ownEtcd], [redis, ownRedis]] as const) {
  Deno.test(
    `coord ${engine.name}: close() right after the server froze, no request under way, ` +
      "returns within the close budget",
    { ignore: !engine.available },
    async () => {
      await using server = await own();
      const coord = await connect(server.url, { ttl: 6_000 });
      let frozen = false;
      try {
        await coord.lock("held");
        // Keepalives go every 2 s and are answered in milliseconds: none is under way here.
        await new Promise((r) => setTimeout(r, 300));
        Deno.kill(server.pid, "SIGSTOP");
        frozen = true;
        const t0 = performance.now();
        await coord.close();
        const took = performance.now() - t0;
        assert.ok(took < 1_600, `close() took ${Math.round(took)} ms`);
      } finally {
        if (frozen) Deno.kill(server.pid, "SIGCONT");
        await coord.close();
      }
    },
  );
}

Deno.test(
  "coord redis: close() while the session is reconnecting to a frozen server (its connect " +
    "hanging) gives up that connect at once and returns within the close budget",
  { ignore: !redis.available },
  async () => {
    await using server = await ownRedis({ tcpBacklog: 1 });
    // The reply and connect timeout is the TTL here (6 s); close() gets CLOSE_BUDGET_MS (1 s).
    const coord = await connect(server.url, { ttl: 6_000 });
    const [hostname, port] = server.url.slice("redis://".length).split(":") as [string, string];
    let filled: Deno.Conn[] = [];
    let frozen = false;
    try {
      await coord.lock("held");
      // The coordinator's connection is dropped, then the server freezes with a full accept
      // queue: the next keepalive (every 2 s) fails at once, and the one retried 600 ms later
      // reconnects, a connect that hangs (the kernel drops its SYNs) up to the 6 s timeout.
      const admin = await RespConnection.open(hostname, Number(port));
      try {
        await admin.send("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes");
      } finally {
        admin.close();
      }
      Deno.kill(server.pid, "SIGSTOP");
      frozen = true;
      filled = await fillAcceptQueue(server.url);
      await new Promise((r) => setTimeout(r, 3_500));
      assert.equal(coord.lost.aborted, false, "the session was lost before close()");
      const t0 = performance.now();
      await coord.close();
      const took = performance.now() - t0;
      assert.ok(took < 1_600, `close() took ${Math.round(took)} ms`);
      // A cancelled connect's socket goes a moment after the abort; an abandoned one stays for
      // the kernel's SYN retries (seconds to minutes).
      await waitFor(
        async () => await connectsUnderWay(server.url) === 0,
        "no connect under way",
        2_000,
      );
    } finally {
      for (const c of filled) c.close();
      if (frozen) Deno.kill(server.pid, "SIGCONT");
      await coord.close();
    }
  },
);

Deno.test(
  "coord redis: release() after the server dropped the holder's idle connection (CLIENT KILL, " +
    "as its idle `timeout` does) frees the lock at once",
  { ignore: !redis.available },
  async () => {
    await using server = await ownRedis();
    const [hostname, port] = server.url.slice("redis://".length).split(":") as [string, string];
    await using holder = await connect(server.url, { ttl: 6_000 });
    await using other = await connect(server.url, { ttl: 6_000 });
    for (const end of ["release", "resign"] as const) {
      const held = end === "release" ? await holder.lock("job") : await holder.campaign("g");
      const admin = await RespConnection.open(hostname, Number(port));
      try {
        await admin.send("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes");
      } finally {
        admin.close();
      }
      // Before: "connection closed by the server", and the key stayed while the session lived.
      if (end === "release") {
        await (held as Awaited<ReturnType<typeof holder.lock>>).release();
        await using taken = await other.tryLock("job");
        assert.ok(taken !== undefined, "the lock stayed held after its release");
      } else {
        await (held as Awaited<ReturnType<typeof holder.campaign>>).resign();
        assert.equal(await other.leader("g"), undefined);
      }
    }
    assert.equal(holder.lost.aborted, false);
  },
);

for (const engine of [etcd, redis]) {
  Deno.test(
    `coord ${engine.name}: lock() and campaign() on a frozen server give up at their timeout or signal, and leave no key once it thaws`,
    { ignore: !engine.available },
    async () => {
      await using server = engine.name === "etcd" ? await ownEtcd() : await ownRedis();
      const own = { ...engine, url: server.url };
      await using coord = await connect(server.url, { ttl: 6_000 });
      Deno.kill(server.pid, "SIGSTOP");
      try {
        const gaveUp = async (call: () => Promise<unknown>, expected: RegExp): Promise<void> => {
          const t0 = performance.now();
          await assert.rejects(call(), expected);
          // Before, the request that queues the waiter ran its course: ~6 s, the TTL.
          assert.ok(performance.now() - t0 < 2_500, `gave up after ${performance.now() - t0} ms`);
        };
        await gaveUp(() => coord.lock("frozen-t", { timeout: 300 }), /Timed out after 300 ms/);
        await gaveUp(
          () => coord.lock("frozen-s", { signal: AbortSignal.timeout(300) }),
          /aborted due to timeout/,
        );
        await gaveUp(
          () => coord.campaign("frozen-c", { signal: AbortSignal.timeout(300) }),
          /aborted due to timeout/,
        );
      } finally {
        Deno.kill(server.pid, "SIGCONT");
      }
      // The requests land after the thaw; their keys are deleted then, and the lock is free.
      for (const name of ["frozen-t", "frozen-s"]) {
        if (engine.name === "redis") {
          await waitFor(async () => await serverKeys(own, name) === 0, `no key of ${name}`, 10_000);
        }
        await waitFor(
          async () => {
            const held = await coord.tryLock(name);
            await held?.release();
            return held !== undefined;
          },
          `${name} free`,
          10_000,
        );
      }
    },
  );
}

for (const engine of [etcd, redis]) {
  Deno.test(
    `coord ${engine.name}: close() on a live server still revokes the lease (its lock is free at once)`,
    { ignore: !engine.available },
    async () => {
      const name = fresh("revoked");
      const coord = await connect(engine.url, { ttl: 6_000 });
      await coord.lock(name);
      // A keepalive under way when close() runs (every 2 s) is ended, and the revoke still goes.
      await new Promise((r) => setTimeout(r, 2_000));
      await coord.close();
      await using other = await connect(engine.url, { ttl: 2_000 });
      await using taken = await other.tryLock(name);
      assert.ok(taken !== undefined, "the lock stayed held after close()");
    },
  );
}
