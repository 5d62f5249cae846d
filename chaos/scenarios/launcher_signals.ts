// SIGTERM and SIGINT at awkward moments — during worker start-up, during a SIGHUP rolling reload,
// during a graceful stop — in both isolations: the launcher exits with the documented code
// (SIGTERM 0, SIGINT 1), within its bounds, and leaves no worker behind.

import type { Scenario, ScenarioResult } from "../scenario.ts";
import { alivePids, childrenOf, type Plan, Run } from "../../tests/service/_launcher_helpers.ts";

interface Case {
  name: string;
  service: Plan["service"];
  /** Sends the signals once the launcher printed LAUNCHED; `ready` waits for n starts. */
  act(run: Run, ready: (n: number) => Promise<boolean>): Promise<void>;
  code: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const jitter = (max: number): number => Math.floor(Math.random() * max);

const CASES: Case[] = [
  {
    name: "SIGTERM during start-up",
    service: { startDelay: 400 },
    act: async (run) => {
      await sleep(jitter(300));
      run.kill("SIGTERM");
    },
    code: 0,
  },
  {
    name: "SIGINT during start-up",
    service: { startDelay: 400 },
    act: async (run) => {
      await sleep(jitter(300));
      run.kill("SIGINT");
    },
    code: 1,
  },
  {
    name: "SIGTERM during a reload",
    service: { startDelay: 100 },
    act: async (run, ready) => {
      await ready(2);
      run.kill("SIGHUP");
      await sleep(jitter(250));
      run.kill("SIGTERM");
    },
    code: 0,
  },
  {
    name: "SIGINT during a reload",
    service: { startDelay: 100 },
    act: async (run, ready) => {
      await ready(2);
      run.kill("SIGHUP");
      await sleep(jitter(250));
      run.kill("SIGINT");
    },
    code: 1,
  },
  {
    name: "SIGINT during a graceful stop",
    service: { mode: "hang-stop" },
    act: async (run, ready) => {
      await ready(2);
      run.kill("SIGTERM");
      await sleep(50 + jitter(200));
      run.kill("SIGINT");
    },
    code: 1,
  },
  {
    name: "SIGTERM twice and SIGHUP during a graceful stop",
    service: { startDelay: 50 },
    act: async (run, ready) => {
      await ready(2);
      // Back to back: the stop takes longer than sending them.
      run.kill("SIGTERM");
      run.kill("SIGHUP");
      run.kill("SIGTERM");
    },
    code: 0,
  },
];

async function one(
  c: Case,
  isolation: "worker" | "process",
  failures: string[],
): Promise<void> {
  const tag = `${isolation} isolation, ${c.name}`;
  await using run = await Run.start({
    backend: isolation === "worker" ? "threading" : "cooperative",
    launcher: "process",
    isolation,
    workers: 2,
    service: c.service ?? {},
  });
  const launched = async (): Promise<boolean> => {
    const end = performance.now() + 30_000;
    while (!run.stdout.includes("LAUNCHED")) {
      if (performance.now() > end) return false;
      await sleep(5);
    }
    return true;
  };
  const ready = async (n: number): Promise<boolean> => {
    const end = performance.now() + 30_000;
    while (run.count("start") < n) {
      if (performance.now() > end) return false;
      await sleep(5);
    }
    return true;
  };
  if (!(await launched())) {
    // What the program said, so a failure here can be told apart from a slow start.
    const tail = run.output.slice(-400).replace(/\s+/g, " ");
    failures.push(`${tag}: never launched within 30 s (output: ${JSON.stringify(tail)})`);
    return;
  }
  const pid = run.child.pid;
  try {
    await c.act(run, ready);
  } catch (err) {
    // A signal sent after the launcher exited: its exit code below still tells.
    if (!(err instanceof TypeError)) throw err;
  }
  // Workers seen while it ran, processes and the pids its services logged.
  const kids = await childrenOf(pid).catch(() => [] as number[]);
  const timer = setTimeout(() => run.kill("SIGKILL"), 30_000);
  const out = await run.exit();
  clearTimeout(timer);
  if (out.signal === "SIGKILL") failures.push(`${tag}: did not exit within 30 s`);
  else if (out.code !== c.code) {
    failures.push(`${tag}: exit code ${out.code}, expected ${c.code}: ${out.stderr.slice(-300)}`);
  }
  const pids = new Set([...kids, ...run.events().map((e) => e.pid)]);
  pids.delete(pid);
  const end = performance.now() + 5_000;
  let left = await alivePids(pids);
  while (left.length > 0 && performance.now() < end) {
    await sleep(50);
    left = await alivePids(pids);
  }
  if (left.length > 0) failures.push(`${tag}: workers left: ${left.join(", ")}`);
}

const scenario: Scenario = {
  name: "launcher: SIGTERM/SIGINT during start-up, reload and stop",
  iterations: { full: 120, short: 12 },
  async run({ iterations }): Promise<ScenarioResult> {
    const failures: string[] = [];
    let count = 0;
    for (let i = 0; i < iterations; i++) {
      const c = CASES[i % CASES.length]!;
      const isolation = Math.floor(i / CASES.length) % 2 === 0 ? "process" : "worker";
      await one(c, isolation, failures);
      count++;
    }
    return { count, failures };
  },
};
export default scenario;
