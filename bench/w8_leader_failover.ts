// deno-lint-ignore-file no-console -- benchmarks report on stdout/stderr by design
// W8c (peer kit definition) for fjord's coord/ on etcd and redis: 3 member processes campaign for
// a new group; when exactly one leads (and all 3 campaign), wait 1 s, SIGKILL the leader, and time
// until a survivor reports leadership; check no other survivor claims it within 0.5 s; survivors
// exit 0 on SIGTERM. 5 rounds, fresh members each; TTL 2 s.

import { connect } from "../coord/mod.ts";
import { check, emit, log, median } from "./_common.ts";
import { ensureServers, ETCD_URL, REDIS_URL } from "./_w8_servers.ts";

const TTL = 2000;
const ROUNDS = 5;
const MEMBERS = 3;

async function member(url: string, group: string): Promise<void> {
  const coord = await connect(url, { ttl: TTL });
  Deno.addSignalListener("SIGTERM", () => {
    coord.close().finally(() => Deno.exit(0));
  });
  console.log("campaigning");
  let leading;
  try {
    leading = await coord.campaign(group);
  } catch {
    await new Promise(() => {}); // closed by SIGTERM while campaigning: exit(0) follows
    return;
  }
  console.log(`leader ${performance.timeOrigin + performance.now()}`);
  await new Promise(() => leading.signal); // lead until killed
}

interface Proc {
  child: Deno.ChildProcess;
  lines: string[];
  done: Promise<void>;
}

function spawn(url: string, group: string): Proc {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, "--member", url, group],
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const lines: string[] = [];
  const done = (async () => {
    let buf = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        lines.push(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    }
  })();
  return { child, lines, done };
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    check(performance.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const isLeader = (p: Proc): boolean => p.lines.some((l) => l.startsWith("leader "));

async function round(url: string): Promise<number> {
  const group = `w8c-${crypto.randomUUID()}`;
  const procs = Array.from({ length: MEMBERS }, () => spawn(url, group));
  try {
    await until(
      () =>
        procs.every((p) => p.lines.includes("campaigning")) && procs.filter(isLeader).length === 1,
      20_000,
      "3 campaigners and one leader",
    );
    await new Promise((r) => setTimeout(r, 1000));
    check(procs.filter(isLeader).length === 1, "exactly one leader before the kill");
    const leader = procs.find(isLeader)!;
    const killedAt = performance.timeOrigin + performance.now();
    leader.child.kill("SIGKILL");
    await leader.child.status;
    const survivors = procs.filter((p) => p !== leader);
    await until(() => survivors.some(isLeader), 10_000, "a new leader");
    const next = survivors.find(isLeader)!;
    const electedAt = Number(next.lines.find((l) => l.startsWith("leader "))!.split(" ")[1]);
    await new Promise((r) => setTimeout(r, 500));
    check(survivors.filter(isLeader).length === 1, "a second survivor claimed leadership");
    for (const s of survivors) s.child.kill("SIGTERM");
    for (const s of survivors) {
      const st = await s.child.status;
      check(st.success, `survivor exited with ${st.code} on SIGTERM`);
    }
    return electedAt - killedAt;
  } finally {
    for (const p of procs) {
      try {
        p.child.kill("SIGKILL");
      } catch {
        // already gone
      }
      await p.child.status;
      await p.done;
    }
  }
}

if (Deno.args[0] === "--member") {
  await member(Deno.args[1]!, Deno.args[2]!);
} else {
  const stop = await ensureServers();
  try {
    for (
      const [label, url] of [["fjord.coord etcd://", ETCD_URL], ["fjord.coord redis://", REDIS_URL]]
    ) {
      const samples: number[] = [];
      for (let i = 0; i < ROUNDS; i++) samples.push(await round(url!));
      log(`# ${label} failovers: ${samples.map((s) => s.toFixed(0)).join(", ")} ms`);
      emit(label!, "W8c", "failover_ms", median(samples), "ms");
      emit(label!, "W8c", "failover_max_ms", Math.max(...samples), "ms");
      emit(label!, "W8c", "ttl_s", TTL / 1000, "s");
    }
  } finally {
    await stop();
  }
}
