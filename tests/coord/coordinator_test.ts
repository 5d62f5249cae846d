import assert from "node:assert/strict";
import { FakeClock } from "../../runtime/clock.ts";
import {
  claimExclusiveTick,
  connect,
  type ConnectOptions,
  CoordinatorUnavailableError,
  LockLostError,
  type MembershipEvent,
  runExclusivePeriodic,
} from "../../coord/mod.ts";
import { captureLog, waitFor } from "../_util.ts";
import { engines, fresh, serverKeys } from "./_servers.ts";

for (const engine of engines) {
  const ttl = engine.name === "etcd" ? 2_000 : 1_000;
  const opts = { sanitizeOps: true, sanitizeResources: true, ignore: !engine.available };

  Deno.test(
    `coord ${engine.name}: a release() racing close() resolves, and the lock is free after it`,
    opts,
    async () => {
      const name = fresh("release-close");
      for (let i = 0; i < 5; i++) {
        const coord = await connect(engine.url, { ttl });
        const held = await coord.lock(name);
        const releasing = held.release();
        await coord.close();
        await releasing;
        await using other = await connect(engine.url, { ttl });
        await using taken = await other.tryLock(name);
        assert.ok(taken !== undefined, "the lock stayed held after close()");
      }
    },
  );

  Deno.test(
    `coord ${engine.name}: fencing tokens increase strictly across members`,
    opts,
    async () => {
      await using a = await connect(engine.url, { memberId: "a", ttl });
      await using b = await connect(engine.url, { memberId: "b", ttl });
      const name = fresh("fence");
      const tokens: bigint[] = [];
      for (let i = 0; i < 6; i++) {
        const held = await (i % 2 ? a : b).lock(name);
        tokens.push(held.token);
        await held.release();
      }
      for (let i = 1; i < tokens.length; i++) assert.ok(tokens[i]! > tokens[i - 1]!, `${tokens}`);
    },
  );

  Deno.test(`coord ${engine.name}: waiters acquire in arrival order`, opts, async () => {
    await using holder = await connect(engine.url, { ttl });
    const name = fresh("fair");
    const first = await holder.lock(name);
    const order: number[] = [];
    const coords = await Promise.all([0, 1, 2, 3].map(() => connect(engine.url, { ttl })));
    const waits: Promise<void>[] = [];
    for (const [i, c] of coords.entries()) {
      waits.push(
        c.lock(name).then(async (h) => {
          order.push(i);
          await new Promise((r) => setTimeout(r, 5));
          await h.release();
        }),
      );
      await new Promise((r) => setTimeout(r, 100)); // arrival order
    }
    await first.release();
    await Promise.all(waits);
    assert.deepEqual(order, [0, 1, 2, 3]);
    await Promise.all(coords.map((c) => c.close()));
  });

  Deno.test(
    `coord ${engine.name}: a holder that releases and locks again queues behind the waiter`,
    opts,
    async () => {
      // The holder's key is reused: re-created at once, it is behind the waiter, which must
      // not take that new key for the one it was waiting on (both would then wait forever).
      await using a = await connect(engine.url, { ttl });
      await using b = await connect(engine.url, { ttl });
      const name = fresh("reuse");
      let held = await a.lock(name);
      for (let round = 0; round < 5; round++) {
        const waiting = b.lock(name, { timeout: 5_000 });
        await waitFor(async () => (await serverKeys(engine, name) ?? 2) === 2, "the waiter's key");
        await held.release();
        const again = a.lock(name, { timeout: 5_000 });
        const got = await waiting;
        await got.release();
        held = await again;
        assert.ok(held.token > got.token, `round ${round}: fencing tokens in queue order`);
      }
      await held.release();
    },
  );

  Deno.test(
    `coord ${engine.name}: a waiter that gives up hands its place on, not the lock`,
    opts,
    async () => {
      // c waits behind b, b behind the holder a: when b times out, c must go on waiting for a.
      await using a = await connect(engine.url, { ttl });
      await using b = await connect(engine.url, { ttl });
      await using c = await connect(engine.url, { ttl });
      const name = fresh("giveup");
      const held = await a.lock(name);
      const gaveUp = b.lock(name, { timeout: 300 });
      await waitFor(async () => (await serverKeys(engine, name) ?? 2) === 2, "b's key");
      let cHeld = false;
      const waiting = c.lock(name).then((h) => {
        cHeld = true;
        return h;
      });
      await assert.rejects(gaveUp, { name: "TimeoutError" });
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(cHeld, false, "c took the lock while a held it");
      held.assertHeld();
      await held.release();
      const got = await waiting;
      assert.ok(got.token > held.token);
      await got.release();
    },
  );

  Deno.test(
    `coord ${engine.name}: timeout and abort leave no key on the server`,
    opts,
    async () => {
      await using a = await connect(engine.url, { ttl });
      await using b = await connect(engine.url, { ttl });
      const name = fresh("cleanup");
      const held = await a.lock(name);
      await assert.rejects(b.lock(name, { timeout: 150 }), { name: "TimeoutError" });
      const controller = new AbortController();
      const waiting = b.lock(name, { signal: controller.signal });
      setTimeout(() => controller.abort(new Error("gave up")), 100);
      await assert.rejects(waiting, { message: "gave up" });
      assert.equal(await serverKeys(engine, name) ?? 1, 1); // only the holder's key
      await held.release();
      assert.equal(await serverKeys(engine, name) ?? 0, 0);
      // Nothing stale queued ahead: the lock is free at once.
      const next = await b.tryLock(name);
      assert.ok(next);
      await next.release();
    },
  );

  Deno.test(
    `coord ${engine.name}: close deletes the member's held and queued lock keys at once`,
    opts,
    async () => {
      // A lock key may be in no server-side index of its lease (redis): close names them.
      const a = await connect(engine.url, { ttl });
      await using b = await connect(engine.url, { ttl });
      const mine = fresh("close-held");
      const theirs = fresh("close-queued");
      const held = await a.lock(mine);
      const blocker = await b.lock(theirs);
      const waiting = a.lock(theirs);
      await waitFor(async () => (await serverKeys(engine, theirs) ?? 2) === 2, "a's waiting key");
      // Handled before close: the waiter may reject while close() is still under way.
      const gaveUp = assert.rejects(waiting, CoordinatorUnavailableError);
      await a.close();
      await gaveUp;
      assert.ok(held.signal.aborted);
      assert.equal(await serverKeys(engine, mine) ?? 0, 0);
      assert.equal(await serverKeys(engine, theirs) ?? 1, 1); // only b's key
      const next = await b.tryLock(mine);
      assert.ok(next, "the closed member's lock was not free");
      await next.release();
      await blocker.release();
    },
  );

  Deno.test(
    `coord ${engine.name}: release is idempotent and assertHeld then throws`,
    opts,
    async () => {
      await using coord = await connect(engine.url, { ttl });
      const name = fresh("release");
      const held = await coord.lock(name);
      held.assertHeld();
      assert.equal(held.signal.aborted, false);
      await Promise.all([held.release(), held.release()]);
      await held[Symbol.asyncDispose]();
      assert.ok(held.signal.aborted);
      assert.throws(() => held.assertHeld(), (e: unknown) => {
        assert.ok(e instanceof LockLostError);
        assert.equal(e.lockName, name);
        assert.equal(e.token, held.token);
        return true;
      });
    },
  );

  Deno.test(
    `coord ${engine.name}: non-ASCII member ids, capabilities and names round-trip`,
    opts,
    async () => {
      const id = "nœud-é/日本-" + "x".repeat(80);
      await using a = await connect(engine.url, { memberId: id, ttl });
      const group = fresh("grüppe-日本");
      const capabilities = { label: "ünïcode ✓", long: "ß".repeat(100) };
      await a.join(group, { capabilities });
      assert.deepEqual(await a.members(group), [{ id, capabilities }]);
      const held = await a.lock(fresh("lock-ü"));
      await held.release();
      const leadership = await a.campaign(group);
      assert.equal(await a.leader(group), id);
      await leadership.resign();
      await a.leave(group);
      assert.deepEqual(await a.members(group), []);
    },
  );

  Deno.test(
    `coord ${engine.name}: groups list members and watch joins and leaves`,
    opts,
    async () => {
      await using a = await connect(engine.url, { memberId: "a", ttl });
      const group = fresh("group");
      const controller = new AbortController();
      const seen: MembershipEvent[] = [];
      const watching = (async () => {
        for await (const e of a.watch(group, { signal: controller.signal })) seen.push(e);
      })();
      // The watch has started once it reports a probe member's comings and goings.
      {
        await using probe = await connect(engine.url, { memberId: "probe", ttl });
        await waitFor(async () => {
          await probe.join(group);
          await probe.leave(group);
          return seen.length > 0;
        }, "the watch to start");
      }
      await waitFor(() => seen.at(-1)?.type === "leave", "the probe's leave");
      seen.length = 0;
      await a.join(group, { capabilities: { role: "api" } });
      const b = await connect(engine.url, { memberId: "b/2", ttl });
      await b.join(group, { capabilities: ["x"] });
      assert.deepEqual((await a.members(group)).map((m) => m.id), ["a", "b/2"]);
      await b.close(); // its lease goes, and its membership with it
      await a.leave(group);
      await waitFor(() => seen.length === 4, "4 membership events");
      controller.abort();
      await watching;
      assert.deepEqual(seen.map((e) => `${e.type} ${e.member.id}`), [
        "join a",
        "join b/2",
        "leave b/2",
        "leave a",
      ]);
      assert.deepEqual(seen[2]!.member.capabilities, ["x"]);
      assert.deepEqual(await a.members(group), []);
    },
  );

  Deno.test(
    `coord ${engine.name}: election follows campaign order and observe sees each leader`,
    opts,
    async () => {
      await using a = await connect(engine.url, { memberId: "a", ttl });
      await using b = await connect(engine.url, { memberId: "b", ttl });
      const group = fresh("election");
      const controller = new AbortController();
      const leaders: (string | undefined)[] = [];
      const observing = (async () => {
        for await (const l of a.observe(group, { signal: controller.signal })) leaders.push(l);
      })();
      await waitFor(() => leaders.length === 1, "the initial leader");
      const la = await a.campaign(group);
      const pb = b.campaign(group);
      assert.equal(await b.leader(group), "a");
      await la.resign();
      const lb = await pb;
      assert.ok(lb.token > la.token);
      assert.equal(await a.leader(group), "b");
      await lb.resign();
      await waitFor(() => leaders.length === 4, "4 leader changes");
      controller.abort();
      await observing;
      assert.deepEqual(leaders, [undefined, "a", "b", undefined]);
    },
  );
}

for (const engine of engines) {
  Deno.test(
    `coord ${engine.name}: each periodic tick runs on exactly one of three members`,
    { ignore: !engine.available },
    async () => {
      const coords = await Promise.all(
        [0, 1, 2].map((i) => connect(engine.url, { memberId: `p${i}` })),
      );
      const name = fresh("tick");
      const controller = new AbortController();
      const runs: { member: number; token: bigint; at: number }[] = [];
      await Promise.all(
        coords.map((c, member) =>
          runExclusivePeriodic(c, name, 100, ({ token }) => {
            runs.push({ member, token, at: Date.now() });
            if (runs.length === 8) controller.abort();
          }, { signal: controller.signal })
        ),
      );
      await Promise.all(coords.map((c) => c.close()));
      assert.equal(runs.length, 8);
      const ticks = runs.map((r) => Math.floor(r.at / 100));
      assert.equal(new Set(ticks).size, 8, `ticks ${ticks}`);
      for (let i = 1; i < runs.length; i++) assert.ok(runs[i]!.token > runs[i - 1]!.token);
    },
  );
}

for (const engine of engines) {
  Deno.test(
    `coord ${engine.name}: a tick claimed after a newer tick was claimed is stale and runs nowhere`,
    { ignore: !engine.available },
    async () => {
      // A member that numbered its tick just before a boundary can reach the engine after
      // another member claimed the next tick; running it then would break token order.
      await using late = await connect(engine.url, { memberId: "late" });
      await using early = await connect(engine.url, { memberId: "early" });
      const name = fresh("stale");
      const newer = await claimExclusiveTick(early, name, 60_000, { index: 6 });
      assert.equal(newer?.index, 6);
      assert.equal(await claimExclusiveTick(late, name, 60_000, { index: 5 }), undefined);
      assert.equal(await claimExclusiveTick(early, name, 60_000, { index: 5 }), undefined);
      const next = await claimExclusiveTick(late, name, 60_000, { index: 7 });
      assert.ok(next !== undefined && next.token > newer!.token, `${next?.token}`);
    },
  );
}

Deno.test("coord memory: a session silent past its TTL aborts every signal", async () => {
  using clock = new FakeClock();
  using log = captureLog();
  await using coord = await connect("memory://ttl-test", { ttl: 1_000, clock });
  const held = await coord.lock("job");
  const leading = await coord.campaign("g");
  assert.equal(held.signal.aborted, false);
  clock.tick(1_001); // no keepalive succeeded within the TTL on this clock
  assert.ok(held.signal.aborted);
  assert.ok(leading.signal.aborted);
  assert.ok(coord.lost.aborted);
  assert.throws(() => held.assertHeld(), LockLostError);
  assert.throws(() => coord.lock("other"), CoordinatorUnavailableError);
  assert.ok(
    log.lines.some((l) => /lease m\d+ lost: no keepalive succeeded/.test(l)),
    `${log.lines}`,
  );
});

Deno.test("coord memory: closing a member whose lease was lost frees its leadership and locks", async () => {
  // The memory store never expires a lease: only the revoke at close() frees a lost member's keys.
  using clock = new FakeClock();
  using _log = captureLog();
  const a = await connect("memory://lost-close-test", { memberId: "a", ttl: 1_000, clock });
  await using b = await connect("memory://lost-close-test", { memberId: "b" });
  await a.campaign("g");
  await a.lock("job");
  await a.join("workers");
  const leading = b.campaign("g");
  clock.tick(1_001);
  assert.ok(a.lost.aborted);
  await a.close();
  await (await leading).resign();
  assert.deepEqual(await b.members("workers"), []);
  await using again = await b.tryLock("job");
  assert.ok(again);
});

Deno.test("coord memory: close releases what the member holds", async () => {
  const a = await connect("memory://close-test", { memberId: "a" });
  await using b = await connect("memory://close-test", { memberId: "b" });
  const held = await a.lock("job");
  await a.join("g");
  await a.close();
  await a.close();
  assert.ok(held.signal.aborted);
  assert.deepEqual(await b.members("g"), []);
  await using again = await b.tryLock("job");
  assert.ok(again);
});

Deno.test("coord connect: bad URLs and options are TypeErrors and RangeErrors thrown at the call", () => {
  assert.throws(() => connect("zookeeper://x:1"), {
    name: "TypeError",
    message: /unknown scheme "zookeeper:"/,
  });
  assert.throws(() => connect("etcd://"), TypeError);
  assert.throws(() => connect("redis://host:99999"), TypeError);
  assert.throws(() => connect("not a url"), TypeError);
  assert.throws(() => connect("memory://x", { ttl: 0 }), RangeError);
  assert.throws(() => connect("memory://x", { memberId: "" }), TypeError);
  assert.throws(() => connect("redis://127.0.0.1:1", { guarantees: "linearizable" }), {
    name: "TypeError",
    message: /linearizable/,
  });
});

Deno.test("coord: a call that cannot start throws at the call; the engine's failures and aborts reject", async () => {
  // API.md: "a call that cannot start (bad argument, shut down, rejected) throws synchronously".
  // connect() and the coordinator's calls were async functions, so these rejected instead.
  assert.throws(() => connect("memory://sync", null as unknown as ConnectOptions), {
    name: "TypeError",
    message: "Cannot connect as 'o' must be an object: current value is null",
  });
  assert.throws(() => connect("memory://sync", { signal: {} as AbortSignal }), {
    name: "TypeError",
    message: /Cannot connect as 'signal' must be an AbortSignal/,
  });
  // An aborted signal is a wait given up, as everywhere: through the promise.
  const aborted = AbortSignal.abort(new Error("given up"));
  await assert.rejects(connect("memory://sync", { signal: aborted }), { message: "given up" });
  const coord = await connect("memory://sync");
  await coord.close();
  const closed = { name: "CoordinatorUnavailableError", message: /the coordinator is closed/ };
  assert.throws(() => coord.lock("job"), closed);
  assert.throws(() => coord.tryLock("job"), closed);
  assert.throws(() => coord.join("g"), closed);
  assert.throws(() => coord.leave("g"), closed);
  assert.throws(() => coord.members("g"), closed);
  assert.throws(() => coord.campaign("g"), closed);
  assert.throws(() => coord.leader("g"), closed);
  assert.throws(() => claimExclusiveTick(coord, "tick", 1_000), closed);
});

Deno.test("coord: a name or member id with a lone surrogate is a TypeError naming it", async () => {
  const odd = "jobs-\uD800";
  const refused = (param: string) => ({
    name: "TypeError",
    message: new RegExp(`'${param}' must be well-formed`),
  });
  assert.throws(() => connect("memory://odd", { memberId: odd }), refused("memberId"));
  await using coord = await connect("memory://odd");
  assert.throws(() => coord.lock(odd), refused("name"));
  assert.throws(() => coord.tryLock(odd), refused("name"));
  assert.throws(() => coord.join(odd), refused("group"));
  assert.throws(() => coord.campaign(odd), refused("group"));
  assert.throws(() => claimExclusiveTick(coord, odd, 1_000), refused("name"));
  // It used to log "could not claim tick" every tick until aborted, and never run.
  const controller = new AbortController();
  assert.throws(
    () => runExclusivePeriodic(coord, odd, 20, () => {}, { signal: controller.signal }),
    refused("name"),
  );
});

Deno.test("coord: a call's bad 'o' or 'signal' is a TypeError naming it", async () => {
  await using coord = await connect("memory://options");
  const named = (param: string) => ({
    name: "TypeError",
    message: new RegExp(`'${param}' must be an`),
  });
  const notASignal = { signal: {} as AbortSignal };
  const nothing = null as unknown as { signal?: AbortSignal };
  // "o.signal?.throwIfAborted is not a function" and "Cannot read properties of null" named
  // neither, and a lock() took a queue key first.
  assert.throws(() => coord.lock("job", notASignal), named("signal"));
  assert.throws(() => coord.lock("job", nothing), named("o"));
  assert.throws(() => coord.campaign("g", notASignal), named("signal"));
  assert.throws(() => coord.campaign("g", nothing), named("o"));
  assert.throws(() => coord.join("g", null as unknown as { capabilities?: unknown }), named("o"));
  assert.throws(() => coord.watch("g", notASignal), named("signal"));
  assert.throws(() => coord.observe("g", notASignal), named("signal"));
  // Nothing was queued: the lock is free at once.
  await using held = await coord.tryLock("job");
  assert.ok(held);
});

Deno.test("coord connect: a TTL over 24 days is a RangeError, not keepalives every millisecond", async () => {
  // 7e9 / 3 does not fit a timer, which then fires after 1 ms, again and again.
  assert.throws(() => connect("memory://x", { ttl: 7e9 }), {
    name: "RangeError",
    message: /'ttl' must be at most 2073600000 ms/,
  });
  await using coord = await connect("memory://x", { ttl: 2_073_600_000 });
  assert.equal(coord.ttl, 2_073_600_000);
});

Deno.test("coord connect: an unreachable server is CoordinatorUnavailableError naming the URL", async () => {
  for (const url of ["etcd://127.0.0.1:1", "redis://127.0.0.1:1"]) {
    await assert.rejects(connect(url, { ttl: 500 }), (e: unknown) => {
      assert.ok(e instanceof CoordinatorUnavailableError);
      assert.equal(e.url, url);
      return true;
    });
  }
});

Deno.test("coord connect: a 'ttl' given as a string is a TypeError naming it a string", () => {
  assert.throws(() => connect("memory://x", { ttl: "5" as unknown as number }), {
    name: "TypeError",
    message: "Cannot connect as 'ttl' must be a positive number of ms: current value is string 5",
  });
  for (const ttl of [Number.NaN, -1]) {
    assert.throws(() => connect("memory://x", { ttl }), {
      name: "RangeError",
      message:
        `Cannot connect as 'ttl' must be a positive number of ms: current value is number ${ttl}`,
    });
  }
  assert.throws(() => connect(5 as unknown as string), {
    name: "TypeError",
    message: "Cannot connect as 'url' must be a string or URL: current value is number 5",
  });
});

Deno.test("coord lock: a 'timeout' given as a string is a TypeError, as -1 a RangeError", async () => {
  await using coord = await connect("memory://timeouts");
  assert.throws(() => coord.lock("job", { timeout: "5" as unknown as number }), {
    name: "TypeError",
    message: `Cannot lock "job" as 'timeout' must be a number >= 0: current value is string 5`,
  });
  assert.throws(() => coord.lock("job", { timeout: -1 }), {
    name: "RangeError",
    message: `Cannot lock "job" as 'timeout' must be a number >= 0: current value is number -1`,
  });
  assert.throws(() => coord.lock("jobs-\uD800"), {
    name: "TypeError",
    message: /'name' must be well-formed .*: current value is string "jobs-\\ud800"$/,
  });
});
