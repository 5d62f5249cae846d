// Kills launcher workers one after the other and checks each is replaced (same workerId, fresh
// instance), that no process is left behind, and (full run) that the launcher's memory reaches a
// plateau. Process isolation: SIGKILL of the worker's pid. Worker isolation (a Web Worker cannot
// be sent a signal): the fixture service polls for a marker file and, when it appears, throws
// an uncaught error, which ends its Worker at once.

import { spawnFloorGrowth } from "../_spawn_floor.ts";
import type { Scenario, ScenarioResult } from "../scenario.ts";
import { alivePids, Run } from "../../tests/service/_launcher_helpers.ts";

const MiB = 1024;

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
  });
  if (!(await until(() => run.stdout.includes("LAUNCHED") && run.count("start") >= 2, 30_000))) {
    failures.push(`${tag}: the workers did not start: ${run.output.slice(-300)}`);
    return 0;
  }
  const latencies: number[] = [];
  const seen = new Set<number>();
  let rssAt100: number | undefined;
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
    if (done === 100) rssAt100 = rssKiB(run.child.pid);
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
  // Deno's own growth over as many worker starts is the floor (see _spawn_floor.ts).
  const floorKiB = full ? (await spawnFloorGrowth(isolation, done)) / 1024 : 0;
  if (
    full && rssAt100 !== undefined && rssEnd !== undefined &&
    rssEnd - rssAt100 > floorKiB + 10 * MiB
  ) {
    failures.push(
      `${tag}: launcher RSS grew ${
        ((rssEnd - rssAt100) / MiB).toFixed(1)
      } MiB from kill 100 to kill ${done} (limit: 10 MiB over bare Deno's ${
        (floorKiB / MiB).toFixed(1)
      } MiB)`,
    );
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
    }`,
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
