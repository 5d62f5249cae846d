// W1 executor overhead: submit N=20,000 no-op tasks to a 2-worker pool and wait for all of them
// (same definition as ../shared/peers/python/w1_executor_overhead.py and node/...mjs).
//
// Metric: tasks/s from the first submit until every future is done. Pool creation and worker
// start-up are excluded: 4 warm-up tasks are run and awaited, then untimed full trials until two in a
// row agree within 25 % (2 to 5 of them, fewer past 3 s) so the JIT of both sides has settled and
// trial 1 is not several times slower than trial 5. Trials then repeat on the same pool per repeat() (up to 5 trials / 2 s) and the
// median trial is reported. Correctness (every trial): every future succeeded and the returned
// values sum to sum(0..N-1).
//
// fjord's Worker and process pools send each worker up to 32 tasks per message (pipelining);
// the peers (piscina, tinypool, futurist) send one task per message and keep one in flight per
// worker. So each remote pool is measured twice: as shipped ("batched"), and with
// `tasksPerWorker: 1` ("1 task/message"), the like-for-like figure.
//
// Scaling: `--workers N` runs the Worker and process pools (both modes) with N workers instead
// of 2 and reports them under workload "W1-scaling" (the peers are only measured at 2).
//
// Run: deno run --allow-read --allow-run --allow-env bench/w1_executor_overhead.ts [--workers N]

import { check, emit, intArg, log, median, repeat } from "./_common.ts";
import {
  AsyncPoolExecutor,
  type BaseExecutor,
  type Future,
  ProcessPoolExecutor,
  SynchronousExecutor,
  waitForAll,
  WorkerPoolExecutor,
} from "../futures/mod.ts";
import type { TaskRef } from "../runtime/task_ref.ts";

const N = 20_000;
const WARMUP_TRIALS = 2;
const WARMUP_MAX = 5;
const WARMUP_BUDGET_MS = 3000;
const NOOP: TaskRef = { module: new URL("./_tasks/tasks.ts", import.meta.url), export: "noop" };

function noop(x: number): number {
  return x;
}

async function trial(
  peer: string,
  ex: BaseExecutor,
  task: TaskRef | ((x: number) => number),
  n: number,
): Promise<number> {
  const t0 = performance.now();
  const futs: Future<number>[] = new Array(n);
  for (let i = 0; i < n; i++) futs[i] = ex.submit<number>(task, i);
  await waitForAll(futs);
  const dt = (performance.now() - t0) / 1000;
  let total = 0;
  for (const f of futs) {
    check(f.done() && !f.cancelled(), `${peer}: some futures not done`);
    total += await f;
  }
  check(total === n * (n - 1) / 2, `${peer}: sum ${total} != ${n * (n - 1) / 2}`);
  return dt;
}

async function bench(
  peer: string,
  workload: string,
  make: () => BaseExecutor,
  task: TaskRef | ((x: number) => number),
  n: number,
): Promise<void> {
  const ex = make();
  try {
    const warm = await Promise.all([0, 1, 2, 3].map((i) => ex.submit<number>(task, i)));
    check(warm.reduce((a, b) => a + b, 0) === 6, `${peer}: warm-up`);
    const warmWalls: number[] = [];
    const w0 = performance.now();
    // Until two warm-up trials in a row agree within 25 % (JIT settled), at least 2 and at most
    // 5 of them, within the time budget.
    const settled = (): boolean => {
      const [a, b] = warmWalls.slice(-2);
      return a !== undefined && b !== undefined && Math.max(a, b) / Math.min(a, b) <= 1.25;
    };
    while (
      warmWalls.length < WARMUP_MAX &&
      (warmWalls.length < WARMUP_TRIALS || !settled()) &&
      performance.now() - w0 < WARMUP_BUDGET_MS
    ) {
      warmWalls.push(await trial(peer, ex, task, n));
    }
    const walls = await repeat(() => trial(peer, ex, task, n));
    log(
      `${peer}: ${n} tasks, warm-up ${warmWalls.map((w) => w.toFixed(3)).join(" ")} s, trials ${
        walls.map((w) => w.toFixed(3)).join(" ")
      } s (trial 1 / last: ${(walls[0]! / walls[walls.length - 1]!).toFixed(2)})`,
    );
    emit(peer, workload, "tasks_per_s", n / median(walls), "tasks/s");
    emit(peer, workload, "tasks", n, "count");
  } finally {
    await ex.shutdown({ wait: true });
  }
}

const scaling = Deno.args.includes("--workers");
const workers = intArg("workers", 2);
const workload = scaling ? "W1-scaling" : "W1";

for (const perMessage of [false, true]) {
  const mode = perMessage ? ", 1 task/message" : "";
  const depth = perMessage ? { tasksPerWorker: 1 } : {};
  await bench(
    `fjord.WorkerPoolExecutor(${workers})${mode}`,
    workload,
    () => new WorkerPoolExecutor({ maxWorkers: workers, ...depth }),
    NOOP,
    N,
  );
  await bench(
    `fjord.ProcessPoolExecutor(${workers})${mode}`,
    workload,
    () => new ProcessPoolExecutor({ maxWorkers: workers, denoArgs: ["--allow-read"], ...depth }),
    NOOP,
    N,
  );
}
if (!scaling) {
  await bench(
    "fjord.AsyncPoolExecutor(2)",
    workload,
    () => new AsyncPoolExecutor({ maxWorkers: 2 }),
    noop,
    N,
  );
  await bench("fjord.SynchronousExecutor", workload, () => new SynchronousExecutor(), noop, N);
}
