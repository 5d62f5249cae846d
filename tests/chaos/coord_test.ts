// Tests that kill etcd cluster members share this file so they never run in parallel (two
// members down at once would cost the 3-member cluster its quorum).

import assert from "node:assert/strict";
import scenario from "../../chaos/scenarios/coord_counter.ts";
import { connect, type MembershipEvent } from "../../coord/mod.ts";
import { waitFor } from "../_util.ts";
import { cluster, engines, fresh, serverKeys } from "../coord/_servers.ts";

const servers = new URL("../../.ci/servers.sh", import.meta.url).pathname;

async function serversCommand(arg: string): Promise<string> {
  const out = await new Deno.Command("bash", { args: [servers, arg], stderr: "null" }).output();
  assert.ok(out.success, `.ci/servers.sh ${arg} failed`);
  return new TextDecoder().decode(out.stdout);
}

Deno.test(
  "chaos coord: the fenced counter survives a killed holder, a frozen holder and a killed etcd leader",
  { ignore: !(cluster.available && engines.every((e) => e.available)) },
  async () => {
    const { count, failures } = await scenario.run({
      iterations: scenario.iterations.short,
      full: false,
    });
    assert.deepEqual(failures, []);
    assert.ok(count > 0);
  },
);

Deno.test(
  "chaos coord: an etcd group watch resumes on another member without missing an event",
  { ignore: !cluster.available },
  async () => {
    const hosts = cluster.url.slice("etcd://".length).split(",");
    const pids = /FJORD_ETCD_CLUSTER_PIDS=(.*)/.exec(await serversCommand("env"))![1]!.split(",")
      .map(Number);
    // The watcher talks to member 0 first, the joiner never does.
    await using watcher = await connect(`etcd://${hosts.join(",")}`, { ttl: 5_000 });
    await using joiner = await connect(`etcd://${hosts[1]},${hosts[2]}`, {
      memberId: "joiner",
      ttl: 5_000,
    });
    const group = fresh("cluster-watch");
    const controller = new AbortController();
    const seen: MembershipEvent[] = [];
    const watching = (async () => {
      for await (const e of watcher.watch(group, { signal: controller.signal })) seen.push(e);
    })();
    try {
      // Probes until the watch sees one; the last probe's leave then ends what is in flight (a
      // probe's events can still be on their way when an earlier one's arrive).
      let probes = 0;
      await waitFor(async () => {
        await joiner.join(group, { capabilities: -++probes });
        await joiner.leave(group);
        return seen.length > 0;
      }, "the watch to start");
      await waitFor(
        () => seen.some((e) => e.type === "leave" && e.member.capabilities === -probes),
        "the last probe's leave",
      );
      seen.length = 0;
      Deno.kill(pids[0]!, "SIGKILL");
      await joiner.join(group, { capabilities: 1 });
      await joiner.leave(group);
      await joiner.join(group, { capabilities: 2 });
      await waitFor(() => seen.length >= 3, "3 events after the member died", 30_000);
      assert.deepEqual(seen.map((e) => `${e.type} ${JSON.stringify(e.member.capabilities)}`), [
        "join 1",
        "leave 1",
        "join 2",
      ]);
    } finally {
      controller.abort();
      await watching;
      await serversCommand("revive");
    }
  },
);

Deno.test(
  "chaos coord: an etcd lock waiter whose member freezes is still handed the lock",
  { ignore: !cluster.available },
  async () => {
    const hosts = cluster.url.slice("etcd://".length).split(",");
    const pids = /FJORD_ETCD_CLUSTER_PIDS=(.*)/.exec(await serversCommand("env"))![1]!.split(",")
      .map(Number);
    // The waiter talks to member 0 first, the holder never does. A frozen member keeps its
    // connections open and silent: the waiter's watch must follow its requests elsewhere.
    await using waiter = await connect(`etcd://${hosts.join(",")}`, { ttl: 5_000 });
    await using holder = await connect(`etcd://${hosts[1]},${hosts[2]}`, { ttl: 5_000 });
    const name = fresh("cluster-wait");
    const held = await holder.lock(name);
    const waiting = waiter.lock(name, { timeout: 20_000 });
    const onMember1 = { name: "etcd" as const, url: `etcd://${hosts[1]}`, available: true };
    try {
      await waitFor(async () => await serverKeys(onMember1, name) === 2, "the waiter's key");
      await new Promise((r) => setTimeout(r, 200));
      Deno.kill(pids[0]!, "SIGSTOP");
      await held.release();
      const got = await waiting;
      assert.ok(got.token > held.token);
      await got.release();
    } finally {
      Deno.kill(pids[0]!, "SIGCONT");
      await waiting.then((h) => h.release(), () => {});
    }
  },
);
