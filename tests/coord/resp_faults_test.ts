// Faults of a Redis that stops answering or answers wrongly, played by a fake server
// (tests/coord/_fake_redis.ts): no hung promise, the session loss on time, typed errors.

import assert from "node:assert/strict";
import { connect, CoordinatorUnavailableError } from "../../coord/mod.ts";
import { waitFor } from "../_util.ts";
import { fakeRedis, healthy } from "./_fake_redis.ts";

Deno.test(
  "coord redis: the lost signal aborts at the TTL deadline while a keepalive hangs unanswered",
  async () => {
    await using server = fakeRedis();
    const ttl = 3_000;
    const coord = await connect(server.url, { ttl });
    try {
      const lost = coord.lost;
      let lostAt: number | undefined;
      lost.addEventListener("abort", () => lostAt = performance.now(), { once: true });
      // Two keepalives answered, then the server goes silent (frozen, or the network dropped).
      await waitFor(
        () => server.commands.filter((c) => c.script === "keepalive").length >= 2,
        "two keepalives",
        10_000,
      );
      server.answer = (cmd) => cmd.script === "keepalive" ? undefined : healthy(cmd);
      const lastOk = server.commands.filter((c) => c.script === "keepalive").at(-1)!.at;
      await waitFor(() => lostAt !== undefined, "the lost signal to abort", ttl * 4);
      // Sent at lastOk at the latest: the server's lease has expired by lastOk + ttl.
      const late = lostAt! - lastOk - ttl;
      assert.ok(late < 700, `lost aborted ${Math.round(late)} ms after the lease's deadline`);
    } finally {
      // A hung keepalive ends with its connection.
      server.dropClients();
      await coord.close();
    }
  },
);

// Settles `p`, or says it hung past `ms`.
function within<T>(p: Promise<T>, ms: number): Promise<{ value?: T; error?: unknown } | "hung"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p.then((value) => ({ value }), (error) => ({ error })),
    new Promise<"hung">((r) => timer = setTimeout(() => r("hung"), ms)),
  ]).finally(() => clearTimeout(timer));
}

Deno.test(
  "coord redis: a server that accepts and never answers fails connect() instead of hanging",
  async () => {
    await using server = fakeRedis(() => undefined);
    const t0 = performance.now();
    const result = await within(connect(server.url, { ttl: 1_000 }), 15_000);
    assert.notEqual(result, "hung", "connect() hung on a silent server");
    const { error } = result as { error?: unknown };
    assert.ok(error instanceof CoordinatorUnavailableError, String(error));
    assert.equal(error.url, server.url);
    assert.match(error.message, /no reply within 2000 ms/);
    assert.ok(performance.now() - t0 < 10_000);
  },
);

Deno.test(
  "coord redis: calls and close() on a server gone silent fail or finish instead of hanging",
  async () => {
    await using server = fakeRedis();
    const coord = await connect(server.url, { ttl: 1_000 });
    try {
      server.answer = () => undefined;
      const listed = await within(coord.members("silent"), 15_000);
      assert.notEqual(listed, "hung", "members() hung on a silent server");
      assert.match(String((listed as { error?: unknown }).error), /no reply within 2000 ms/);
      const closed = await within(coord.close(), 15_000);
      assert.notEqual(closed, "hung", "close() hung on a silent server");
      assert.ok(coord.lost.aborted);
    } finally {
      server.dropClients();
      await coord.close();
    }
  },
);

Deno.test(
  "coord redis: every call the engine fails rejects with CoordinatorUnavailableError naming the URL",
  async () => {
    const server = fakeRedis();
    const coord = await connect(server.url, { ttl: 3_000 });
    const calls: [string, () => Promise<unknown>][] = [
      ["lock", () => coord.lock("l")],
      ["tryLock", () => coord.tryLock("l")],
      ["join", () => coord.join("g")],
      ["leave", () => coord.leave("g")],
      ["members", () => coord.members("g")],
      ["campaign", () => coord.campaign("g")],
      ["leader", () => coord.leader("g")],
      ["watch", () => coord.watch("g")[Symbol.asyncIterator]().next()],
      ["observe", () => coord.observe("g")[Symbol.asyncIterator]().next()],
    ];
    const check = async (
      why: string,
      cause: (e: unknown) => boolean,
      skip: string[] = [],
    ): Promise<void> => {
      for (const [name, call] of calls) {
        if (skip.includes(name)) continue;
        const error = await call().then(() => undefined, (e) => e);
        assert.ok(
          error instanceof CoordinatorUnavailableError,
          `${name}() on ${why}: ${String(error)}`,
        );
        assert.equal(error.url, server.url);
        assert.ok(cause(error.cause), `${name}() on ${why}: cause ${String(error.cause)}`);
      }
    };
    try {
      // The fake answers the lock, group and election scripts with error replies.
      await check(
        "an error reply",
        (c) => c instanceof Error && /does not do this/.test(c.message),
      );
      // A bulk string where a number or an array belongs (leave() reads no reply).
      server.answer = (cmd) =>
        cmd.name === "EVALSHA" && !["grant", "keepalive", "revoke"].includes(cmd.script!)
          ? "$3\r\nabc\r\n"
          : healthy(cmd);
      await check("a reply of the wrong shape", (c) => c instanceof Error, ["leave"]);
      // Gone: every new connection is refused.
      await server[Symbol.asyncDispose]();
      await check("a refused connection", (c) => c instanceof Error);
    } finally {
      await server[Symbol.asyncDispose]();
      await coord.close().catch(() => {});
    }
  },
);

Deno.test(
  "coord redis: a release() whose delete fails rejects, and the coordinator deletes the key in the background until it succeeds",
  async () => {
    await using server = fakeRedis();
    let deletes = 0;
    server.answer = (cmd) => {
      // An empty directory: created at revision 5, nobody ahead.
      if (cmd.script === "create") return ":5\r\n";
      if (cmd.script === "delete") {
        return ++deletes <= 3 ? "-ERR unreachable a moment\r\n" : ":1\r\n";
      }
      return healthy(cmd);
    };
    await using coord = await connect(server.url, { ttl: 6_000 });
    const held = await coord.lock("job");
    await assert.rejects(held.release(), /unreachable a moment/);
    // Before, nothing tried again: the key stayed, holding the lock for the session's life.
    await waitFor(() => deletes === 4, "the delete retried until it succeeded", 10_000);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(deletes, 4, "deleted again after it succeeded");
    assert.equal(coord.lost.aborted, false);
  },
);
