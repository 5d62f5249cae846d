// coord: 4 processes increment a counter file under the distributed lock, each write checked at
// the file against the holder's fencing token, while (a) a random holder is SIGKILLed, (b) a
// holder is frozen with SIGSTOP past its TTL and resumed, (c) the leader of the 3-member etcd
// cluster is SIGKILLed. (a) and (b) run on etcd and on Redis. Promises: the counter equals the
// writes the file accepted (no lost update, so no two holders overlapped), no fencing token is
// used by two holders, and every surviving process finishes.
//
// Needs the servers of .ci/servers.sh (FJORD_ETCD_URL, FJORD_REDIS_URL, FJORD_ETCD_CLUSTER).

import type { Scenario, ScenarioResult } from "../scenario.ts";
import { spawnMember } from "../../tests/coord/_child.ts";
import { initResource, readResource } from "../../tests/coord/_fixtures/fenced_resource.ts";

const ETCD = Deno.env.get("FJORD_ETCD_URL") ?? "etcd://127.0.0.1:23790";
const REDIS = Deno.env.get("FJORD_REDIS_URL") ?? "redis://127.0.0.1:63790";
const CLUSTER = Deno.env.get("FJORD_ETCD_CLUSTER") ??
  "etcd://127.0.0.1:24791,127.0.0.1:24792,127.0.0.1:24793";
const SERVERS = new URL("../../.ci/servers.sh", import.meta.url).pathname;
const PROCS = 4;

type Fault = "kill-holder" | "stop-holder" | "kill-etcd-leader";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function clusterLeaderPid(): Promise<number | undefined> {
  const env = new TextDecoder().decode(
    (await new Deno.Command("bash", { args: [SERVERS, "env"], stderr: "null" }).output()).stdout,
  );
  const pids = /FJORD_ETCD_CLUSTER_PIDS=(.*)/.exec(env)?.[1]?.split(",").map(Number) ?? [];
  const hosts = CLUSTER.slice("etcd://".length).split(",");
  for (const [i, host] of hosts.entries()) {
    try {
      const r = await fetch(`http://${host}/v3/maintenance/status`, { method: "POST", body: "{}" });
      const s = await r.json() as { header?: { member_id?: string }; leader?: string };
      if (s.leader && s.header?.member_id === s.leader) return pids[i];
    } catch {
      // a member that does not answer is not the leader
    }
  }
  return undefined;
}

async function round(
  url: string,
  ttl: number,
  fault: Fault,
  n: number,
  failures: string[],
): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "fjord-chaos-coord-" });
  const resource = `${dir}/counter.json`;
  await initResource(resource);
  const name = `chaos-${crypto.randomUUID().slice(0, 8)}`;
  const label = `${fault} on ${url}`;
  const members = Array.from(
    { length: PROCS },
    () => spawnMember(["count", url, String(ttl), name, resource, String(n)]),
  );
  let killedLeader = false;
  try {
    // Fault when the run is under way: after about a quarter of the increments.
    const deadline = performance.now() + 60_000;
    while (
      (await readResource(resource)).accepted < (PROCS * n) / 4 && performance.now() < deadline
    ) {
      await sleep(20);
    }
    const holder = (): ReturnType<typeof spawnMember> | undefined => {
      const holding = members.filter((m) => m.lines.at(-1)?.startsWith("holding"));
      return holding[Math.floor(Math.random() * holding.length)];
    };
    let victim: ReturnType<typeof spawnMember> | undefined;
    for (let i = 0; i < 500 && !victim && fault !== "kill-etcd-leader"; i++) {
      victim = holder();
      if (!victim) await sleep(2);
    }
    if (fault === "kill-holder") {
      if (!victim) failures.push(`${label}: never saw a holder to kill`);
      else await victim.kill();
    } else if (fault === "stop-holder") {
      if (!victim) failures.push(`${label}: never saw a holder to freeze`);
      else {
        victim.process.kill("SIGSTOP");
        await sleep(ttl + 1_000);
        victim.process.kill("SIGCONT");
      }
    } else {
      const pid = await clusterLeaderPid();
      if (pid === undefined) failures.push(`${label}: no etcd leader found`);
      else {
        Deno.kill(pid, "SIGKILL");
        killedLeader = true;
      }
    }
    const survivors = members.filter((m) => !(fault === "kill-holder" && m === victim));
    for (const m of survivors) {
      try {
        await m.line(/^done$/, 120_000);
      } catch (error) {
        failures.push(
          `${label}: member ${m.pid} did not finish: ${(error as Error).message.slice(0, 300)}`,
        );
      }
    }
    const state = await readResource(resource);
    if (state.counter !== state.accepted) {
      failures.push(`${label}: counter ${state.counter} != accepted writes ${state.accepted}`);
    }
    const commits = members.flatMap((m) => m.lines.filter((l) => l.startsWith("commit ")));
    const tokens = new Set(commits.map((l) => l.slice(7)));
    if (tokens.size !== commits.length) {
      failures.push(`${label}: a fencing token was committed twice`);
    }
    if (commits.length > state.accepted) {
      failures.push(
        `${label}: ${commits.length} commits reported, the file accepted ${state.accepted}`,
      );
    }
    return state.accepted;
  } finally {
    await Promise.all(members.map((m) => m.kill()));
    if (killedLeader) {
      const revived = await new Deno.Command("bash", {
        args: [SERVERS, "revive"],
        stdout: "null",
        stderr: "null",
      })
        .output();
      if (!revived.success) failures.push(`${label}: the killed etcd member did not come back`);
    }
    await Deno.remove(dir, { recursive: true });
  }
}

const scenario: Scenario = {
  name: "coord: fenced counter under SIGKILL, SIGSTOP past TTL and etcd leader loss",
  iterations: { full: 500, short: 15 },
  async run({ iterations }): Promise<ScenarioResult> {
    const failures: string[] = [];
    let count = 0;
    count += await round(ETCD, 2_000, "kill-holder", iterations, failures);
    count += await round(ETCD, 2_000, "stop-holder", iterations, failures);
    count += await round(REDIS, 1_000, "kill-holder", iterations, failures);
    count += await round(REDIS, 1_000, "stop-holder", iterations, failures);
    count += await round(CLUSTER, 5_000, "kill-etcd-leader", iterations, failures);
    return { count, failures };
  },
};
export default scenario;
