// Kills launcher workers one after the other and checks each is replaced (same workerId, fresh
// instance), that no process is left behind, and (full run) that the launcher leaks nothing per
// kill: its JS heap after a forced GC and its open file descriptors at kill 1000 against kill 100.
// RSS is reported, not judged: it includes garbage V8 has not collected yet (a launcher run
// with forced GCs levels off near +17 MiB by kill 600; without them, 26-38 MiB over 900 kills,
// against 27 MiB for bare Deno's own spawns). Process isolation: SIGKILL of the worker's pid. Worker isolation (a Web Worker cannot
// be sent a signal): the fixture service polls for a marker file and, when it appears, throws
// an uncaught error, which ends its Worker at once.

import { spawnFloorGrowth } from "../_spawn_floor.ts";
import type { Scenario, ScenarioResult } from "../scenario.ts";
import { alivePids, DEFAULT_FLAGS, Run } from "../../tests/service/_launcher_helpers.ts";

const MiB = 1024 * 1024;
// Baseline here: +0.5-0.6 MiB over 900 kills (V8's code and feedback for paths first run late,
// the restart policy's window). The limit catches anything retained per kill from ~1.5 kB up; the
// RSS bound this replaces needed ~11 kB per kill and still tripped on uncollected garbage.
const HEAP_GROWTH_LIMIT = 2 * MiB;
const FD_GROWTH_LIMIT = 4;

function openFds(pid: number): number | undefined {
  try {
    return [...Deno.readDirSync(`/proc/${pid}/fd`)].length;
  } catch {
    return undefined;
  }
}

// Asks the launcher (run with heapProbe) for its JS heap after a forced GC.
async function heapBytes(run: Run): Promise<number | undefined> {
  const before = run.stdout.split("\nHEAP ").length;
  run.kill("SIGUSR2");
  if (!(await until(() => run.stdout.split("\nHEAP ").length > before, 10_000))) return undefined;
  const last = run.stdout.split("\nHEAP ").at(-1)!;
  return Number(last.slice(0, last.indexOf("\n")));
}

function rssKiB(pid: number): number | undefined {
  try {
    const m = Deno.readTextFileSync(`/proc/${pid}/status`).match(/VmRSS:\s+(\d+) kB/);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) return false;
    await new Promise((r) => setTimeout(r, 2));
  }
  return true;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)]!;
}

async function killLoop(
  isolation: "worker" | "process",
  kills: number,
  full: boolean,
  failures: string[],
): Promise<number> {
  const tag = `${isolation} isolation`;
  await using run = await Run.start({
    backend: isolation === "worker" ? "threading" : "cooperative",
    launcher: "process",
    isolation,
    workers: 2,
    // Kills come faster than any sane intensity; this scenario is about replacement.
    restart: { maxRestarts: 1_000_000, backoff: { initial: 0, max: 0 } },
    service: isolation === "worker" ? { endBy: "throw" } : {},
    heapProbe: full,
  }, { flags: [...DEFAULT_FLAGS, ...(full ? ["--v8-flags=--expose-gc"] : [])] });
  if (!(await until(() => run.stdout.includes("LAUNCHED") && run.count("start") >= 2, 30_000))) {
    failures.push(`${tag}: the workers did not start: ${run.output.slice(-300)}`);
    return 0;
  }
  const latencies: number[] = [];
  const seen = new Set<number>();
  let rssAt100: number | undefined;
  let heapAt100: number | undefined;
  let fdsAt100: number | undefined;
  let done = 0;
  let starts = run.count("start");
  for (let i = 0; i < kills; i++) {
    const id = i % 2;
    const events = run.events();
    const current = events.filter((e) => e.event === "start" && e.workerId === id).at(-1)!;
    seen.add(current.pid);
    const t0 = Date.now();
    if (isolation === "process") {
      try {
        Deno.kill(current.pid, "SIGKILL");
      } catch (err) {
        failures.push(`${tag}: kill ${i}: cannot kill pid ${current.pid}: ${err}`);
        break;
      }
    } else {
      Deno.writeTextFileSync(`${run.dir}/end-${id}`, "");
    }
    const replaced = await until(() => run.count("start") > starts, 20_000);
    if (!replaced) {
      failures.push(`${tag}: kill ${i}: worker ${id} was not replaced within 20 s`);
      break;
    }
    starts = run.count("start");
    const fresh = run.events().filter((e) => e.event === "start").at(-1)!;
    if (fresh.workerId !== id || fresh.inst === current.inst) {
      failures.push(`${tag}: kill ${i}: replacement is ${JSON.stringify(fresh)}`);
    }
    latencies.push(fresh.t - t0);
    done++;
    if (done === 100) {
      rssAt100 = rssKiB(run.child.pid);
      fdsAt100 = openFds(run.child.pid);
      if (full) heapAt100 = await heapBytes(run);
    }
  }
  // Every killed process is gone (reaped, not a zombie of the launcher).
  const live = new Set(
    run.events().filter((e) => e.event === "start").slice(-2).map((e) => e.pid),
  );
  const stale = await alivePids([...seen].filter((p) => !live.has(p)));
  if (isolation === "process" && stale.length > 0) {
    failures.push(`${tag}: killed workers still alive: ${stale.join(", ")}`);
  }
  const rssEnd = rssKiB(run.child.pid);
  const fdsEnd = openFds(run.child.pid);
  const heapEnd = full && done > 100 ? await heapBytes(run) : undefined;
  // Deno's own growth over as many worker starts, for the report (see _spawn_floor.ts).
  const floorKiB = full ? (await spawnFloorGrowth(isolation, done)) / 1024 : 0;
  if (full && done > 100) {
    if (heapAt100 === undefined || heapEnd === undefined) {
      failures.push(`${tag}: the launcher did not answer the heap probe`);
    } else if (heapEnd - heapAt100 > HEAP_GROWTH_LIMIT) {
      failures.push(
        `${tag}: launcher JS heap after GC grew ${
          ((heapEnd - heapAt100) / MiB).toFixed(2)
        } MiB from kill 100 to kill ${done} (limit ${HEAP_GROWTH_LIMIT / MiB} MiB)`,
      );
    }
    if (fdsAt100 !== undefined && fdsEnd !== undefined && fdsEnd - fdsAt100 > FD_GROWTH_LIMIT) {
      failures.push(
        `${tag}: launcher holds ${fdsEnd} open fds at kill ${done}, ${fdsAt100} at kill 100`,
      );
    }
  }
  run.kill("SIGTERM");
  const out = await run.exit();
  if (out.code !== 0) failures.push(`${tag}: exit code ${out.code} after SIGTERM`);
  const left = await alivePids(run.events().map((e) => e.pid).filter((p) => p !== run.child.pid));
  if (left.length > 0) failures.push(`${tag}: workers left after SIGTERM: ${left.join(", ")}`);
  // deno-lint-ignore no-console -- the numbers behind the table row
  console.error(
    `  ${tag}: ${done} kills, replacement median ${Math.round(median(latencies))} ms, max ${
      Math.round(Math.max(...latencies))
    } ms, launcher RSS ${rssAt100 ?? "?"} kB at 100, ${rssEnd ?? "?"} kB at ${done}${
      floorKiB > 0 ? ` (bare Deno starts: +${Math.round(floorKiB)} kB)` : ""
    }${
      heapEnd !== undefined && heapAt100 !== undefined
        ? `, JS heap after GC ${Math.round(heapAt100 / 1024)} -> ${Math.round(heapEnd / 1024)} kB`
        : ""
    }, open fds ${fdsAt100 ?? "?"} -> ${fdsEnd ?? "?"}`,
  );
  return done;
}

const scenario: Scenario = {
  name: "launcher: killed workers are all replaced, none orphaned",
  iterations: { full: 1000, short: 10 },
  async run({ iterations, full }): Promise<ScenarioResult> {
    const failures: string[] = [];
    let count = 0;
    count += await killLoop("process", iterations, full, failures);
    count += await killLoop("worker", iterations, full, failures);
    return { count, failures };
  },
};
export default scenario;
