// A worker whose start() always fails (think: port in use) makes the launcher give up: it stops
// the other workers, logs a RestartIntensityError naming the worker and the last cause, and exits
// 2 — within the time the policy implies, leaving nothing behind. Both isolations; the full run
// also measures the give-up time under the default policy.

import type { Scenario, ScenarioResult } from "../scenario.ts";
import { alivePids, type Plan, Run } from "../../tests/service/_launcher_helpers.ts";

async function once(
  isolation: "worker" | "process",
  restart: Plan["restart"],
  boundMs: number,
  failures: string[],
): Promise<number> {
  const tag = `${isolation} isolation, ${
    restart === undefined ? "default policy" : "small policy"
  }`;
  const t0 = performance.now();
  await using run = await Run.start({
    backend: isolation === "worker" ? "threading" : "cooperative",
    launcher: "process",
    isolation,
    workers: 2,
    ...(restart === undefined ? {} : { restart }),
    service: { mode: "start-throws-0" },
  });
  const timer = setTimeout(() => run.kill("SIGKILL"), boundMs);
  const out = await run.exit();
  clearTimeout(timer);
  const secs = (performance.now() - t0) / 1000;
  if (out.signal === "SIGKILL") {
    failures.push(`${tag}: did not give up within ${boundMs} ms`);
    return 0;
  }
  if (out.code !== 2) failures.push(`${tag}: exit code ${out.code}, expected 2`);
  const max = restart?.maxRestarts ?? 10;
  if (
    !new RegExp(`Cannot keep worker 0 of factory running as it needed ${max + 1} restarts`).test(
      out.stderr,
    )
  ) {
    failures.push(`${tag}: no RestartIntensityError naming worker 0 in the log`);
  }
  if (
    !/last cause: exited with status \d+ \(start\(\) failed: Error: start failed/.test(out.stderr)
  ) {
    failures.push(`${tag}: the logged error does not name the last cause`);
  }
  const failed = run.count("start-failed");
  if (failed !== max + 1) failures.push(`${tag}: ${failed} failed starts, expected ${max + 1}`);
  const stops = run.events().filter((e) => e.event === "stop");
  if (stops.length !== 1 || stops[0]!.workerId !== 1 || stops[0]!.extra !== "graceful=true") {
    failures.push(`${tag}: the healthy worker was not stopped gracefully once`);
  }
  const left = await alivePids(run.events().map((e) => e.pid).filter((p) => p !== run.child.pid));
  if (left.length > 0) failures.push(`${tag}: workers left: ${left.join(", ")}`);
  // deno-lint-ignore no-console -- the numbers behind the table row
  console.error(`  ${tag}: gave up after ${secs.toFixed(1)} s, ${failed} failed starts`);
  return 1;
}

const scenario: Scenario = {
  name: "launcher: a crash loop gives up with RestartIntensityError and exit 2",
  iterations: { full: 10, short: 2 },
  async run({ iterations, full }): Promise<ScenarioResult> {
    const failures: string[] = [];
    let count = 0;
    const small = { maxRestarts: 3, window: 30_000, backoff: { initial: 10, max: 50 } };
    for (let i = 0; i < iterations; i++) {
      count += await once(i % 2 === 0 ? "process" : "worker", small, 30_000, failures);
    }
    if (full) {
      // Default policy: 10 restarts within 60 s, 0, 100, 200, ... 5 000 ms apart: ~21 s.
      for (const isolation of ["worker", "process"] as const) {
        count += await once(isolation, undefined, 60_000, failures);
      }
    }
    return { count, failures };
  },
};
export default scenario;
