// Faults of a Redis that stops answering or answers wrongly, played by a fake server
// (tests/coord/_fake_redis.ts): no hung promise, the session loss on time, typed errors.

import assert from "node:assert/strict";
import { connect } from "../../coord/mod.ts";
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
