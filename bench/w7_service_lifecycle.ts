// W7 service lifecycle, the peer kit's definitions (../shared/peers/python/w7_service_lifecycle.py):
// W7a ServiceLauncher launch -> start() (its service built in-process, as the peers': see
// _w7_main.ts); W7b ServiceLauncher SIGTERM -> exit (sent as soon as the start marker is seen,
// as the peers do); W7c a 2-worker ProcessLauncher: a worker dies -> its
// replacement's start() ran, plus start-up (spawn -> both workers started) and SIGTERM shutdown
// of the same supervisor. W7c runs for both isolations, with and without a standby worker.
//
// Kills: process isolation SIGKILLs the worker process (as the peers), timed from the kill.
// Worker isolation: a Web Worker cannot be killed from another process; the service throws an
// uncaught error when the harness drops a marker file, the launcher is told at once and
// terminate()s the Worker; the time is taken where it threw.
// Restarts: the supervisor runs with `backoff.initial: 0` (see _w7_main.ts), so the second kill
// of a worker times its respawn, not fjord's crash-loop delay.
// Launch time: just before the launcher is built, carried in the start marker, as the peers
// (see _w7_main.ts). Checks, as the peer harness: every respawn is a new worker (new pid in
// process isolation), after the kills both current workers answer a liveness ping (and their
// pids exist), the supervisor is still running, it exits 0 on SIGTERM, every current worker's
// stop() ran and no worker process survives.
// Extra: sighup_all_replaced_ms, SIGHUP -> every worker replaced (a new start() per worker id).
// Floors in the same run (metric start_ms, median of 5 after one untimed): spawn of `deno run`
// of an empty script -> its first statement; the same importing fjord's mod.ts; `new Worker()`
// of an empty module -> its first statement; the same importing mod.ts; and for the start-up of
// 2 workers, a `deno run` program spawning 2 `deno run` of the empty script (or starting 2 Workers
// of the empty module) at once -> the later of their first statements.
// Times are epoch ms (performance.timeOrigin + now()), comparable across processes.
//
//   deno run -A bench/w7_service_lifecycle.ts
//
// -A, as run_all.ts runs it: the liveness checks stat /proc/<pid>, which Deno 2.9 refuses without
// --allow-all (before, with only --allow-read, every worker looked gone: a false CORRECTNESS
// FAILURE; now the NotCapable error itself ends the run).

import { check, emit, log, median, spawnEndedOnFailure } from "./_common.ts";

const MAIN = new URL("./_w7_main.ts", import.meta.url).pathname;
const MOD = new URL("../mod.ts", import.meta.url).href;
const TRIALS = 5;
const KILLS = 4;
const FIRST_KILL_DELAY = 1000;
const KILL_SPACING = 1250;
const TIMEOUT = 20_000;

function now(): number {
  return performance.timeOrigin + performance.now();
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Marker {
  name: string;
  id: string;
  t: number;
  workerId: number;
  pid: number;
  tLaunch: number;
}

function starts(dir: string): Marker[] {
  const out: Marker[] = [];
  for (const e of Deno.readDirSync(dir)) {
    if (!e.name.startsWith("start-")) continue;
    const [t, workerId, pid, tLaunch] = Deno.readTextFileSync(`${dir}/${e.name}`).split(" ")
      .map(Number);
    out.push({
      name: e.name,
      id: e.name.slice(6),
      t: t!,
      workerId: workerId!,
      pid: pid!,
      tLaunch: tLaunch!,
    });
  }
  return out;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (error) {
    // Anything but "not there" (NotCapable above all) must not read as a worker gone.
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function until<T>(fn: () => T | undefined, what: string): Promise<T> {
  const deadline = performance.now() + TIMEOUT;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (performance.now() > deadline) throw new Error(`timeout waiting for ${what}`);
    await sleep(1);
  }
}

function spawn(plan: Record<string, unknown>): { child: Deno.ChildProcess; tExec: number } {
  const tExec = now();
  const child = spawnEndedOnFailure(
    new Deno.Command(Deno.execPath(), {
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
    }),
  );
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
    const tSig = now();
    child.kill("SIGTERM");
    const exit = await exitTime(child);
    check(exit.code === 0, `ServiceLauncher exit code ${exit.code} on an immediate SIGTERM`);
    check(exists(`${dir}/stop-${m.id}`), "stop() not called");
    return [m.t - tExec, m.t - m.tLaunch, exit.t - tSig];
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The newest worker per worker id. */
function current(dir: string): Marker[] {
  const byId = new Map<number, Marker>();
  for (const m of starts(dir)) {
    const old = byId.get(m.workerId);
    if (old === undefined || m.t > old.t) byId.set(m.workerId, m);
  }
  return [...byId.values()];
}

async function checkAlive(peer: string, dir: string, isolation: string): Promise<Marker[]> {
  const live = current(dir);
  check(live.length === 2, `${peer}: ${live.length} worker ids`);
  for (const m of live) {
    check(!exists(`${dir}/stop-${m.id}`), `${peer}: worker ${m.workerId} stopped`);
    if (isolation === "process") check(exists(`/proc/${m.pid}`), `${peer}: pid ${m.pid} gone`);
    Deno.writeTextFileSync(`${dir}/ping-${m.id}`, "");
  }
  await until(() => live.every((m) => exists(`${dir}/pong-${m.id}`)) || undefined, "pongs");
  for (const m of live) Deno.removeSync(`${dir}/pong-${m.id}`);
  return live;
}

async function supervisorRun(isolation: "worker" | "process", standby: boolean): Promise<void> {
  const how = isolation === "process" ? "SIGKILL" : "uncaught error";
  const peer = `fjord.ProcessLauncher(2) ${isolation}${standby ? "+standby" : ""}`;
  const dir = await Deno.makeTempDir({ prefix: "w7c-" });
  const { child, tExec } = spawn({ launcher: "process", isolation, standby, dir });
  let exited = false;
  void child.status.then(() => exited = true);
  try {
    const first = await until(() => {
      const s = starts(dir);
      return s.length >= 2 ? s : undefined;
    }, "2 workers");
    const allStarted = Math.max(...first.map((m) => m.t));
    const respawns: number[] = [];
    await sleep(FIRST_KILL_DELAY);
    for (let i = 0; i < KILLS; i++) {
      const seen = new Set(starts(dir).map((m) => m.name));
      const live = current(dir).find((m) => m.workerId === i % 2)!;
      let tKill: number;
      if (isolation === "process") {
        tKill = now();
        Deno.kill(live.pid, "SIGKILL");
      } else {
        Deno.writeTextFileSync(`${dir}/crash-${live.workerId}`, "");
        tKill = await until(() => {
          try {
            return Number(Deno.readTextFileSync(`${dir}/crash-at-${live.workerId}`)) || undefined;
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
      await sleep(KILL_SPACING);
    }
    await checkAlive(peer, dir, isolation);
    check(!exited, `${peer}: the supervisor died`);
    // SIGHUP: every worker replaced by a new one that has started.
    const before = new Set(starts(dir).map((m) => m.name));
    const tHup = now();
    child.kill("SIGHUP");
    const reloaded = await until(() => {
      const fresh = starts(dir).filter((m) => !before.has(m.name));
      return new Set(fresh.map((m) => m.workerId)).size >= 2 ? fresh : undefined;
    }, "the reload");
    const reloadMs = Math.max(...reloaded.map((m) => m.t)) - tHup;
    await sleep(200);
    const live = await checkAlive(peer, dir, isolation);
    const pids = new Set(starts(dir).map((m) => m.pid));
    const tSig = now();
    child.kill("SIGTERM");
    const exit = await exitTime(child);
    check(exit.code === 0, `${peer}: exit code ${exit.code}`);
    for (const m of live) {
      check(exists(`${dir}/stop-${m.id}`), `${peer}: worker ${m.workerId}'s stop() did not run`);
    }
    if (isolation === "process") {
      await sleep(50);
      check(
        [...pids].every((p) => !exists(`/proc/${p}`)),
        `${peer}: a worker survived the shutdown`,
      );
    }
    emit(peer, "W7c", "respawn_ms", median(respawns), "ms");
    emit(peer, "W7c", "respawn_max_ms", Math.max(...respawns), "ms");
    emit(peer, "W7c", "exec_to_all_started_ms", allStarted - tExec, "ms");
    emit(peer, "W7c", "sigterm_to_exit_ms", exit.t - tSig, "ms");
    emit(peer, "W7c", "sighup_all_replaced_ms", reloadMs, "ms");
    log(`${peer}: kill = ${how}; respawns ${respawns.map((r) => r.toFixed(2)).join(", ")} ms`);
  } finally {
    if (!exited) child.kill("SIGKILL");
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
}

async function floors(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "w7f-" });
  try {
    const stamp = "postMessage?.(performance.timeOrigin + performance.now());";
    const mark =
      `Deno.writeTextFileSync(Deno.args[0], String(performance.timeOrigin + performance.now()));`;
    Deno.writeTextFileSync(`${dir}/empty.js`, mark);
    Deno.writeTextFileSync(`${dir}/mod.ts`, `import ${JSON.stringify(MOD)};\n${mark}`);
    Deno.writeTextFileSync(`${dir}/wempty.js`, `self.${stamp}`);
    Deno.writeTextFileSync(`${dir}/wmod.ts`, `import ${JSON.stringify(MOD)};\nself.${stamp}`);
    const runs: [string, string][] = [
      ["deno run empty script, spawn -> first statement (floor)", "empty.js"],
      ["deno run importing fjord mod.ts, spawn -> first statement (floor)", "mod.ts"],
    ];
    for (const [peer, file] of runs) {
      const xs: number[] = [];
      for (let i = 0; i <= TRIALS; i++) {
        const out = `${dir}/out`;
        const t0 = now();
        const r = await new Deno.Command(Deno.execPath(), {
          args: ["run", "--allow-all", `${dir}/${file}`, out],
          stdout: "null",
          stderr: "inherit",
        }).output();
        check(r.success, `${peer}: exit ${r.code}`);
        if (i > 0) xs.push(Number(Deno.readTextFileSync(out)) - t0);
      }
      emit(peer, "W7c", "start_ms", median(xs), "ms");
    }
    // Start-up of 2 workers, as the W7c supervisors' (spawn of a program -> both of its workers'
    // first statements): a deno run program that spawns 2 `deno run` of the empty script, or that
    // starts 2 Web Workers of the empty module, at once. It needs no fjord at all.
    Deno.writeTextFileSync(
      `${dir}/spawn2.js`,
      `const [out, empty] = Deno.args;
const children = [0, 1].map((i) =>
  new Deno.Command(Deno.execPath(), { args: ["run", "--allow-all", empty, out + "." + i] }).spawn()
);
await Promise.all(children.map((c) => c.status));`,
    );
    Deno.writeTextFileSync(
      `${dir}/workers2.js`,
      `const [out] = Deno.args;
const stamps = [];
for (let i = 0; i < 2; i++) {
  const w = new Worker(new URL("./wempty.js", import.meta.url), { type: "module" });
  w.onmessage = (e) => {
    stamps.push(e.data);
    w.terminate();
    if (stamps.length === 2) Deno.writeTextFileSync(out + ".0", String(Math.max(...stamps)));
  };
}`,
    );
    const pairs: [string, string][] = [
      [
        "deno run spawning 2 deno run empty scripts, spawn -> both first statements (floor)",
        "spawn2.js",
      ],
      ["deno run starting 2 empty Workers, spawn -> both first statements (floor)", "workers2.js"],
    ];
    for (const [peer, file] of pairs) {
      const xs: number[] = [];
      for (let i = 0; i <= TRIALS; i++) {
        const out = `${dir}/out2`;
        const t0 = now();
        const r = await new Deno.Command(Deno.execPath(), {
          args: ["run", "--allow-all", `${dir}/${file}`, out, `${dir}/empty.js`],
          stdout: "null",
          stderr: "inherit",
        }).output();
        check(r.success, `${peer}: exit ${r.code}`);
        // spawn2.js: one stamp per child; workers2.js: the later of the two in out2.0.
        const ends: number[] = [];
        for (const k of [0, 1]) {
          try {
            ends.push(Number(Deno.readTextFileSync(`${out}.${k}`)));
            Deno.removeSync(`${out}.${k}`);
          } catch {
            // workers2.js writes only out2.0
          }
        }
        check(ends.length === (file === "spawn2.js" ? 2 : 1), `${peer}: ${ends.length} stamps`);
        if (i > 0) xs.push(Math.max(...ends) - t0);
      }
      emit(peer, "W7c", "start_ms", median(xs), "ms");
    }
    const workers: [string, string][] = [
      ["Worker, empty module, new Worker() -> first statement (floor)", "wempty.js"],
      ["Worker importing fjord mod.ts, new Worker() -> first statement (floor)", "wmod.ts"],
    ];
    for (const [peer, file] of workers) {
      const xs: number[] = [];
      for (let i = 0; i <= TRIALS; i++) {
        const t0 = now();
        const w = new Worker(new URL(`file://${dir}/${file}`), { type: "module" });
        const t = await new Promise<number>((r) => w.onmessage = (e) => r(e.data));
        w.terminate();
        if (i > 0) xs.push(t - t0);
      }
      emit(peer, "W7c", "start_ms", median(xs), "ms");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const trials: [number, number, number][] = [];
for (let i = 0; i < TRIALS; i++) trials.push(await serviceLauncherTrial());
emit("fjord.ServiceLauncher", "W7a", "exec_to_start_ms", median(trials.map((t) => t[0])), "ms");
emit("fjord.ServiceLauncher", "W7a", "launch_to_start_ms", median(trials.map((t) => t[1])), "ms");
emit("fjord.ServiceLauncher", "W7b", "sigterm_to_exit_ms", median(trials.map((t) => t[2])), "ms");
await floors();
for (const isolation of ["worker", "process"] as const) {
  for (const standby of [false, true]) await supervisorRun(isolation, standby);
}
