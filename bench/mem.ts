// Memory (workload "MEM"), fjord's side; bench/peers_mem/ measures the peers the same way.
// - An idle ProcessLauncher with 2 workers, in each isolation: the service program of W7
//   (_w7_main.ts) is started, both workers' start() ran, 1 s of idle, then RSS and PSS summed
//   over the launcher and its child processes (/proc; PSS splits shared pages fairly).
// - Per pending task of a pool: 100,000 no-op tasks submitted at once to a 2-worker pool
//   (nothing runs before the submitting code yields), V8 heap used after a full GC minus
//   before, divided by 100,000: bytes per queued task in the submitting isolate.
//
//   deno run -A bench/mem.ts

import { check, emit, log, spawnEndedOnFailure } from "./_common.ts";
import { treeMemory } from "./_proc_mem.ts";

const MAIN = new URL("./_w7_main.ts", import.meta.url).pathname;
const PENDING = 100_000;

async function idleLauncher(isolation: "worker" | "process"): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mem-" });
  const child = spawnEndedOnFailure(
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, JSON.stringify({ launcher: "process", isolation, dir })],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }),
  );
  try {
    const deadline = performance.now() + 20_000;
    while ([...Deno.readDirSync(dir)].filter((e) => e.name.startsWith("start-")).length < 2) {
      check(performance.now() < deadline, `${isolation}: workers did not start`);
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 1000));
    const m = treeMemory(child.pid);
    const peer = `fjord.ProcessLauncher(2) ${isolation}`;
    log(
      `${peer}: ${m.procs} processes, RSS ${m.rssMb.toFixed(1)} MB, PSS ${m.pssMb.toFixed(1)} MB`,
    );
    emit(peer, "MEM", "idle_rss_mb", m.rssMb, "MB");
    emit(peer, "MEM", "idle_pss_mb", m.pssMb, "MB");
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
}

async function pendingTasks(): Promise<void> {
  const { WorkerPoolExecutor, ProcessPoolExecutor } = await import("../futures/mod.ts");
  const noop = { module: new URL("./_tasks/tasks.ts", import.meta.url), export: "noop" };
  const gc = (globalThis as unknown as { gc: () => void }).gc;
  for (
    const [peer, make] of [
      ["fjord.WorkerPoolExecutor(2)", () => new WorkerPoolExecutor({ maxWorkers: 2 })],
      [
        "fjord.ProcessPoolExecutor(2)",
        () => new ProcessPoolExecutor({ maxWorkers: 2, denoArgs: ["--allow-read"] }),
      ],
    ] as const
  ) {
    const ex = make();
    await ex.submit(noop, 1);
    gc();
    const before = Deno.memoryUsage().heapUsed;
    const futs = [];
    for (let i = 0; i < PENDING; i++) futs.push(ex.submit(noop, i));
    gc();
    const per = (Deno.memoryUsage().heapUsed - before) / PENDING;
    await Promise.all(futs);
    await ex.shutdown({ wait: true });
    log(`${peer}: ${per.toFixed(0)} bytes per pending task`);
    emit(peer, "MEM", "bytes_per_pending_task", per, "bytes");
  }
}

if (Deno.args[0] === "pending") {
  await pendingTasks();
} else {
  await idleLauncher("worker");
  await idleLauncher("process");
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--v8-flags=--expose-gc", new URL(import.meta.url).pathname, "pending"],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  check(r.success, `pending-task run exited ${r.code}`);
}
