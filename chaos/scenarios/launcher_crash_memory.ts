// launcher: a worker that crashes over and over leaves no memory behind in the launcher. Full run:
// 1 000 crash/respawn cycles per isolation, RSS at the end within 10 MiB of RSS after the first
// 100 — more precisely, within 10 MiB of bare Deno's own growth over as many worker starts
// (_spawn_floor.ts); short run: a few dozen cycles, checking only that every crash was seen and
// replaced.

import type { Scenario, ScenarioResult } from "../scenario.ts";
import { spawnFloorGrowth } from "../_spawn_floor.ts";

const LAUNCHER = new URL("../_fixtures/crash_launcher.ts", import.meta.url).pathname;
const MIB = 1024 * 1024;
const LIMIT = 10 * MIB;
// glibc gives each thread that allocates its own arena (up to 8 per core), and every Web Worker
// is a new thread: what a freed Worker leaves in an arena is reused only by later threads that
// land there, so RSS from crash 100 to 1 000 varied from +2.3 to +15.6 MiB over 8 runs of the
// same code (JS heap and external memory flat). Two arenas make it a measure of what is kept,
// not of where it landed: -1.7 to +7.1 MiB over 6 runs. The floor runs with the same setting.
const ENV = { MALLOC_ARENA_MAX: "2" };

interface Report {
  restarts: number;
  rssEarly: number;
  rssEnd: number;
  code: number;
  ms: number;
}

async function runOne(isolation: "worker" | "process", cycles: number): Promise<Report> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-run",
      "--v8-flags=--expose-gc",
      LAUNCHER,
      isolation,
      String(cycles),
    ],
    env: ENV,
    stdout: "piped",
    stderr: "null",
    signal: AbortSignal.timeout(40 * 60_000),
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "";
  try {
    return JSON.parse(text) as Report;
  } catch {
    throw new Error(`the launcher exited with ${out.code} and printed ${JSON.stringify(text)}`);
  }
}

const scenario: Scenario = {
  name: "launcher: crash/respawn cycles leave no memory behind (both isolations)",
  iterations: { full: 1000, short: 30 },
  async run({ iterations, full }): Promise<ScenarioResult> {
    const failures: string[] = [];
    let count = 0;
    for (const isolation of ["worker", "process"] as const) {
      let r: Report;
      try {
        r = await runOne(isolation, iterations);
      } catch (err) {
        failures.push(`${isolation}: ${err instanceof Error ? err.message : String(err)}`);
        continue;
      }
      count += r.restarts;
      if (r.restarts < iterations) {
        failures.push(`${isolation}: only ${r.restarts} of ${iterations} crashes were replaced`);
      }
      if (r.code !== 0) failures.push(`${isolation}: the launcher's wait() resolved ${r.code}`);
      const growth = r.rssEnd - r.rssEarly;
      // Deno's own growth over as many worker starts is the floor (see _spawn_floor.ts).
      const floor = full ? await spawnFloorGrowth(isolation, iterations, ENV) : 0;
      // deno-lint-ignore no-console -- the numbers behind the table row
      console.error(
        `  ${isolation}: RSS ${growth < 0 ? "" : "+"}${(growth / MIB).toFixed(1)} MiB from crash ${
          iterations / 10
        } to ${iterations}${full ? ` (bare Deno starts: +${(floor / MIB).toFixed(1)} MiB)` : ""}`,
      );
      if (full && growth > floor + LIMIT) {
        failures.push(
          `${isolation}: RSS grew ${(growth / MIB).toFixed(1)} MiB from crash ${
            iterations / 10
          } to crash ${iterations} (limit: 10 MiB over bare Deno's ${
            (floor / MIB).toFixed(1)
          } MiB)`,
        );
      }
    }
    return { count, failures };
  },
};

export default scenario;
