// Pools under faults: process-pool children SIGKILLed mid-task and before they are ready, Worker
// tasks that throw, never settle or end their Worker, hung tasks stopped by timeout, abort and
// shutdown({cancelFutures, timeout}) in a program that must then exit, and a parent SIGKILLed
// while its process pool runs (no child may survive). Each check is one count; every broken
// promise is one failure line.

import type { Scenario, ScenarioResult } from "../scenario.ts";
import {
  BrokenExecutorError,
  ProcessPoolExecutor,
  WorkerCrashedError,
  WorkerPoolExecutor,
} from "../../futures/mod.ts";
import { consoleLogger, setLogger } from "../../runtime/logger.ts";
import type { TaskRef } from "../../runtime/task_ref.ts";

const FIXTURES = new URL("../../tests/futures/_fixtures/", import.meta.url);
const TASKS = new URL("tasks.ts", FIXTURES);
const ref = (name: string): TaskRef => ({ module: TASKS, export: name });
const quiet = (): void => {};

/** Whether `pid` still runs: /proc when readable (the chaos runner), else a SIGCONT probe. */
function alive(pid: number): boolean {
  try {
    return !/State:\s+Z/.test(Deno.readTextFileSync(`/proc/${pid}/status`));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
  }
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/** Child pids of this process, from `ps` (needs no /proc permission). */
async function children(): Promise<number[]> {
  const out = await new Deno.Command("ps", { args: ["-o", "pid=", "--ppid", String(Deno.pid)] })
    .output();
  return new TextDecoder().decode(out.stdout).split("\n").map(Number).filter((n) => n > 0);
}

type Check = (fail: (what: string) => void) => Promise<void>;

// A child SIGKILLed mid-task fails only its running task; queued tasks run elsewhere.
const killedMidTask: Check = async (fail) => {
  const dir = await Deno.makeTempDir();
  await using ex = new ProcessPoolExecutor({ maxWorkers: 2, tasksPerWorker: 8 });
  try {
    await Promise.all(Array.from({ length: 64 }, () => ex.submit(ref("add"), 1, 1)));
    const victim = ex.submit(ref("pidThenSleep"), `${dir}/pid`, 60_000);
    const others = Array.from({ length: 20 }, (_, i) => ex.submit<number>(ref("add"), i, 1));
    let pid = 0;
    await until(() => {
      try {
        pid = Number(Deno.readTextFileSync(`${dir}/pid`));
      } catch {
        // Not written yet.
      }
      return pid > 0;
    }, 20_000);
    if (pid === 0) return fail("mid-task: the victim task never started");
    Deno.kill(pid, "SIGKILL");
    const err = await victim.exception();
    if (!(err instanceof WorkerCrashedError) || err.signal !== "SIGKILL") {
      fail(`mid-task: the killed task failed with ${String(err)}, not WorkerCrashedError SIGKILL`);
    }
    const got = await Promise.allSettled(others);
    const bad = got.filter((r, i) => r.status !== "fulfilled" || r.value !== i + 1);
    if (bad.length > 0) fail(`mid-task: ${bad.length} innocent tasks failed`);
    if (ex.statistics.failures !== 1) fail(`mid-task: ${ex.statistics.failures} failures, not 1`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
};

// Children SIGKILLed before they are ready: the pool retries with back-off and recovers.
const killedBeforeReady: Check = async (fail) => {
  await using ex = new ProcessPoolExecutor({
    maxWorkers: 2,
    restart: { maxRestarts: 10, backoff: { initial: 20 } },
  });
  const before = new Set(await children());
  const f = ex.submit<number>(ref("add"), 2, 3);
  const fresh = (await children()).filter((p) => !before.has(p));
  for (const p of fresh) {
    try {
      Deno.kill(p, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
  const got = await f.result({ timeout: 30_000 }).catch((e) => e);
  if (got !== 5) fail(`before ready: the pool did not recover (${String(got)})`);
  if (ex.broken) fail("before ready: the pool broke after one round of deaths");
};

// Children that can never start: the pool reports itself broken with their stderr.
const neverReady: Check = async (fail) => {
  const ex = new ProcessPoolExecutor({
    maxWorkers: 1,
    denoArgs: ["--no-such-flag"],
    restart: { maxRestarts: 2, backoff: { initial: 5 } },
  });
  const err = await ex.submit(ref("add"), 1, 1).exception();
  if (!(err instanceof BrokenExecutorError) || !/no-such-flag/.test(err.stderr ?? "")) {
    fail(`never ready: ${String(err)} is not a BrokenExecutorError with the child's stderr`);
  }
  if (!ex.broken || ex.alive) fail("never ready: broken/alive not reported");
  const later = await ex.submit(ref("add"), 1, 1).exception();
  if (!(later instanceof BrokenExecutorError)) fail("never ready: a later submit did not reject");
  const closed = await Promise.race([
    ex.shutdown().then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), 10_000)),
  ]);
  if (!closed) fail("never ready: shutdown() did not resolve");
};

// Worker tasks that throw, never settle, or end their Worker.
const workerFaults: Check = async (fail) => {
  await using ex = new WorkerPoolExecutor({ maxWorkers: 2, taskTimeout: 200 });
  const expect = async (f: Promise<unknown>, name: string, what: string): Promise<void> => {
    const e = await f.then(() => undefined, (err) => err);
    if ((e as Error | undefined)?.name !== name) fail(`worker ${what}: ${String(e)}, not ${name}`);
  };
  const stop = new AbortController();
  const aborted = ex.submitWith({ signal: stop.signal, timeout: 60_000 }, ref("hang"));
  setTimeout(() => stop.abort(), 50);
  await Promise.all([
    expect(ex.submit(ref("throwQuota"), 3).result(), "QuotaError", "throw"),
    expect(ex.submit(ref("hang")).result(), "TimeoutError", "never settles"),
    expect(aborted.result(), "AbortError", "aborted"),
    expect(ex.submit(ref("closeWorker")).result(), "WorkerCrashedError", "self.close()"),
    expect(ex.submit(ref("exitProcess"), 4).result(), "WorkerCrashedError", "Deno.exit()"),
  ]);
  const sums = await Promise.all(Array.from({ length: 10 }, (_, i) => ex.submit(ref("add"), i, i)));
  if (sums.some((v, i) => v !== 2 * i)) fail("worker: the pool did not carry on");
};

// A program whose pool is shut down with hung tasks exits; a SIGKILLed parent leaves no child.
async function program(args: string[]): Promise<{ code: number; out: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("hung_pool.ts", FIXTURES).pathname, ...args],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  return { code: out.code, out: new TextDecoder().decode(out.stdout) };
}

const programExits: Check = async (fail) => {
  for (const args of [["process", "spin"], ["process", "hang"], ["worker", "hang"]]) {
    const { code, out } = await program([...args, "shutdown"]);
    if (code !== 0) fail(`${args.join(" ")}: the program exited with ${code} (143: killed)`);
    else if (!/"hung":\[true,true\]/.test(out)) fail(`${args.join(" ")}: tasks not cancelled`);
  }
};

const parentKilled: Check = async (fail) => {
  for (const how of ["spin", "hang"]) {
    const dir = await Deno.makeTempDir();
    const parent = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("hung_pool.ts", FIXTURES).pathname, "process", how, "wait", dir],
      stdout: "null",
      stderr: "null",
    }).spawn();
    let pids: number[] = [];
    try {
      const up = await until(() => {
        pids = [...Deno.readDirSync(dir)].map((e) => Number(e.name));
        return pids.length === 2;
      }, 30_000);
      if (!up) {
        fail(`parent killed (${how}): children did not start`);
        continue;
      }
      parent.kill("SIGKILL");
      await parent.status;
      if (!await until(() => pids.every((p) => !alive(p)), 10_000)) {
        fail(`parent killed (${how}): children ${pids.filter(alive)} survived`);
      }
    } finally {
      try {
        parent.kill("SIGKILL");
      } catch {
        // Already dead.
      }
      await parent.status;
      for (const p of pids) if (alive(p)) Deno.kill(p, "SIGKILL");
      await Deno.remove(dir, { recursive: true });
    }
  }
};

const CHECKS: [string, Check][] = [
  ["killed mid-task", killedMidTask],
  ["killed before ready", killedBeforeReady],
  ["never ready", neverReady],
  ["worker faults", workerFaults],
  ["program exits", programExits],
  ["parent killed", parentKilled],
];

const scenario: Scenario = {
  name: "pool: children killed, tasks hung, parents killed",
  iterations: { full: 10, short: 1 },
  async run({ iterations }): Promise<ScenarioResult> {
    setLogger({ debug: quiet, info: quiet, warning: quiet, error: quiet });
    const failures: string[] = [];
    let count = 0;
    try {
      for (let i = 0; i < iterations; i++) {
        for (const [name, check] of CHECKS) {
          try {
            await check((what) => failures.push(`#${i} ${what}`));
          } catch (err) {
            failures.push(`#${i} ${name} threw ${err instanceof Error ? err.stack : String(err)}`);
          }
          count++;
        }
      }
    } finally {
      setLogger(consoleLogger);
    }
    return { count, failures };
  },
};
export default scenario;
