// Workers that end by themselves — Deno.exit(7), self.close() (Deno.exit(0) in a child process),
// an uncaught error, an unhandled rejection — in both isolations: each ending is noticed at once,
// logged with its cause and exit code, and the worker is replaced with the same workerId.
// (The fixture service polls for a marker file and ends its worker that way when it appears.)

import type { Scenario, ScenarioResult } from "../scenario.ts";
import { alivePids, Run } from "../../tests/service/_launcher_helpers.ts";

type How = "exit" | "close" | "throw" | "reject";
const HOWS: How[] = ["exit", "close", "throw", "reject"];
// Generous for a loaded machine; a missed ending is never noticed at all.
const NOTICE_MS = 5_000;

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

const deathLines = (text: string): number =>
  (text.match(/Worker \d of factory.*\]; /g) ?? []).length;

async function endings(
  isolation: "worker" | "process",
  how: How,
  n: number,
  failures: string[],
): Promise<number> {
  const tag = `${isolation} isolation, ${how}`;
  await using run = await Run.start({
    backend: isolation === "worker" ? "threading" : "cooperative",
    launcher: "process",
    isolation,
    workers: 1,
    restart: { maxRestarts: 1_000_000, backoff: { initial: 0, max: 0 } },
    service: { endBy: how },
  });
  if (!(await until(() => run.stdout.includes("LAUNCHED") && run.count("start") >= 1, 30_000))) {
    failures.push(`${tag}: the worker did not start: ${run.output.slice(-300)}`);
    return 0;
  }
  let done = 0;
  for (let i = 0; i < n; i++) {
    const starts = run.count("start");
    const deaths = deathLines(run.output);
    Deno.writeTextFileSync(`${run.dir}/end-0`, "");
    if (!(await until(() => run.count("start") > starts, NOTICE_MS))) {
      failures.push(`${tag}: ending ${i} was not noticed (no replacement) within ${NOTICE_MS} ms`);
      break;
    }
    if (!(await until(() => deathLines(run.output) > deaths, NOTICE_MS))) {
      failures.push(`${tag}: ending ${i} was not logged`);
    }
    done++;
  }
  const log = run.output;
  const expected: Record<How, RegExp> = {
    exit: /exited with status 7|\[exit code 7\]/,
    close: isolation === "worker" ? /called self\.close\(\)/ : /exited with status 0/,
    throw: /ended by an uncaught error on purpose/,
    reject: /ended by an unhandled rejection on purpose/,
  };
  if (done > 0 && !expected[how].test(log)) {
    failures.push(`${tag}: the log does not name the cause (${expected[how]})`);
  }
  // A worker that was never noticed would hold a graceful stop for the whole timeout.
  const clean = done === n;
  run.kill(clean ? "SIGTERM" : "SIGINT");
  const out = await run.exit();
  if (clean && out.code !== 0) failures.push(`${tag}: exit code ${out.code} after SIGTERM`);
  const left = await alivePids(run.events().map((e) => e.pid).filter((p) => p !== run.child.pid));
  if (left.length > 0) failures.push(`${tag}: workers left: ${left.join(", ")}`);
  return done;
}

const scenario: Scenario = {
  name: "launcher: workers ending by exit/close/throw/rejection are noticed and replaced",
  iterations: { full: 25, short: 1 },
  async run({ iterations }): Promise<ScenarioResult> {
    const failures: string[] = [];
    let count = 0;
    for (const isolation of ["process", "worker"] as const) {
      for (const how of HOWS) count += await endings(isolation, how, iterations, failures);
    }
    return { count, failures };
  },
};
export default scenario;
