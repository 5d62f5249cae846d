// W7 service lifecycle, the peer kit's definitions (../shared/peers/python/w7_service_lifecycle.py):
// W7a ServiceLauncher launch -> start(); W7b ServiceLauncher SIGTERM -> exit; W7c a 2-worker
// ProcessLauncher: a worker dies -> its replacement's start() ran, plus start-up and SIGTERM
// shutdown of the same supervisor. W7c runs for both isolations, with and without a standby
// worker. Process isolation kills a worker with SIGKILL (as the peers); a Web Worker cannot be
// killed from outside, so it throws an uncaught error when told to and the time it threw is
// the kill time. Times are epoch ms (performance.timeOrigin + now()), comparable across
// processes. Extra: reload_ms, SIGHUP -> every worker replaced (a new start() per worker id).
//
//   deno run --allow-read --allow-write --allow-run --allow-env bench/w7_service_lifecycle.ts

import { check, emit, log, median } from "./_common.ts";

const MAIN = new URL("./_w7_main.ts", import.meta.url).pathname;
const TRIALS = 5;
const KILLS = 4;
const FIRST_KILL_DELAY = 1000;
const KILL_SPACING = 1250;
const TIMEOUT = 20_000;

function now(): number {
  return performance.timeOrigin + performance.now();
}

interface Marker {
  name: string;
  t: number;
  workerId: number;
  pid: number;
}

function starts(dir: string): Marker[] {
  const out: Marker[] = [];
  for (const e of Deno.readDirSync(dir)) {
    if (!e.name.startsWith("start-")) continue;
    const text = Deno.readTextFileSync(`${dir}/${e.name}`);
    const [t, id, pid] = text.split(" ").map(Number);
    if (t === undefined || Number.isNaN(t) || pid === undefined) continue;
    out.push({ name: e.name, t, workerId: id!, pid });
  }
  return out;
}

function count(dir: string, prefix: string): number {
  let n = 0;
  for (const e of Deno.readDirSync(dir)) if (e.name.startsWith(prefix)) n++;
  return n;
}

async function until<T>(fn: () => T | undefined, what: string): Promise<T> {
  const deadline = performance.now() + TIMEOUT;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (performance.now() > deadline) throw new Error(`timeout waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

function spawn(plan: Record<string, unknown>): { child: Deno.ChildProcess; tExec: number } {
  const tExec = now();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-run",
      "--allow-env",
      MAIN,
      JSON.stringify(plan),
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  return { child, tExec };
}

async function exitTime(child: Deno.ChildProcess): Promise<{ code: number; t: number }> {
  const status = await child.status;
  return { code: status.code, t: now() };
}

async function serviceLauncherTrial(): Promise<[number, number, number]> {
  const dir = await Deno.makeTempDir({ prefix: "w7a-" });
  try {
    const { child, tExec } = spawn({ launcher: "service", dir });
    const m = await until(() => starts(dir)[0], "start()");
    const tLaunch = Number(Deno.readTextFileSync(`${dir}/launch`));
    // Deno delivers signals once its listener is installed by wait(); wait for it to be.
    await new Promise((r) => setTimeout(r, 50));
    const tSig = now();
    child.kill("SIGTERM");
    const exit = await exitTime(child);
    check(exit.code === 0, `ServiceLauncher exit code ${exit.code}`);
    check(count(dir, "stop-") === 1, "stop() not called");
    return [m.t - tExec, m.t - tLaunch, exit.t - tSig];
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function supervisorRun(isolation: "worker" | "process", standby: boolean): Promise<void> {
  const peer = `fjord.ProcessLauncher(2) ${isolation}${standby ? "+standby" : ""}`;
  const dir = await Deno.makeTempDir({ prefix: "w7c-" });
  const { child, tExec } = spawn({ launcher: "process", isolation, standby, dir });
  try {
    const first = await until(() => {
      const s = starts(dir);
      return s.length >= 2 ? s : undefined;
    }, "2 workers");
    const allStarted = Math.max(...first.map((m) => m.t));
    const respawns: number[] = [];
    let seen = new Set(first.map((m) => m.name));
    await new Promise((r) => setTimeout(r, FIRST_KILL_DELAY));
    for (let i = 0; i < KILLS; i++) {
      const victim = starts(dir).filter((m) => seen.has(m.name)).sort((a, b) => b.t - a.t)[0]!;
      const live = starts(dir).filter((m) => m.workerId === victim.workerId).sort((a, b) =>
        b.t - a.t
      )[0]!;
      let tKill: number;
      if (isolation === "process") {
        tKill = now();
        Deno.kill(live.pid, "SIGKILL");
      } else {
        Deno.writeTextFileSync(`${dir}/crash-${live.workerId}`, "");
        tKill = await until(() => {
          try {
            return Number(Deno.readTextFileSync(`${dir}/crash-at-${live.workerId}`));
          } catch {
            return undefined;
          }
        }, "the crash");
        Deno.removeSync(`${dir}/crash-at-${live.workerId}`);
      }
      const fresh = await until(
        () => starts(dir).find((m) => !seen.has(m.name) && m.workerId === live.workerId),
        "the replacement",
      );
      if (isolation === "process") check(fresh.pid !== live.pid, "respawn from the same pid");
      respawns.push(fresh.t - tKill);
      seen = new Set(starts(dir).map((m) => m.name));
      await new Promise((r) => setTimeout(r, KILL_SPACING));
    }
    // SIGHUP: every worker replaced by a new one that has started.
    const before = new Set(starts(dir).map((m) => m.name));
    const tHup = now();
    child.kill("SIGHUP");
    const reloaded = await until(() => {
      const fresh = starts(dir).filter((m) => !before.has(m.name));
      const ids = new Set(fresh.map((m) => m.workerId));
      return ids.size >= 2 && count(dir, "stop-") >= 2 ? fresh : undefined;
    }, "the reload");
    const reloadMs = Math.max(...reloaded.map((m) => m.t)) - tHup;
    await new Promise((r) => setTimeout(r, 200));
    const pids = new Set(starts(dir).map((m) => m.pid));
    const tSig = now();
    child.kill("SIGTERM");
    const exit = await exitTime(child);
    check(exit.code === 0, `ProcessLauncher exit code ${exit.code}`);
    if (isolation === "process") {
      const ps = new TextDecoder().decode(
        (await new Deno.Command("ps", { args: ["-e", "-o", "pid="], stdout: "piped" }).output())
          .stdout,
      );
      const live = new Set(ps.split("\n").map((l) => Number(l.trim())));
      check([...pids].every((p) => !live.has(p)), "a worker survived the shutdown");
    }
    emit(peer, "W7c", "respawn_ms", median(respawns), "ms");
    emit(peer, "W7c", "respawn_max_ms", Math.max(...respawns), "ms");
    emit(peer, "W7c", "exec_to_all_started_ms", allStarted - tExec, "ms");
    emit(peer, "W7c", "sigterm_to_exit_ms", exit.t - tSig, "ms");
    emit(peer, "W7c", "sighup_all_replaced_ms", reloadMs, "ms");
    log(`${peer}: respawns ${respawns.map((r) => r.toFixed(2)).join(", ")} ms`);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // Exited.
    }
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
}

const trials: [number, number, number][] = [];
for (let i = 0; i < TRIALS; i++) trials.push(await serviceLauncherTrial());
emit("fjord.ServiceLauncher", "W7a", "exec_to_start_ms", median(trials.map((t) => t[0])), "ms");
emit("fjord.ServiceLauncher", "W7a", "launch_to_start_ms", median(trials.map((t) => t[1])), "ms");
emit("fjord.ServiceLauncher", "W7b", "sigterm_to_exit_ms", median(trials.map((t) => t[2])), "ms");
for (const isolation of ["worker", "process"] as const) {
  for (const standby of [false, true]) await supervisorRun(isolation, standby);
}
