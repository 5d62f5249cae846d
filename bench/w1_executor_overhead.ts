// W1 executor overhead: submit N=20,000 no-op tasks to a 2-worker pool and wait for all of them
// (same definition as ../shared/peers/python/w1_executor_overhead.py and node/...mjs).
//
// Metric: tasks/s from the first submit until every future is done. Pool creation and worker
// start-up are excluded (4 warm-up tasks are run and awaited first). Trials repeat on the same
// pool per repeat() (up to 5 trials / 2 s) and the median trial is reported. Correctness (every
// trial): every future succeeded and the returned values sum to sum(0..N-1).
//
// Run: deno run --allow-read --allow-run --allow-env bench/w1_executor_overhead.ts

import { check, emit, log, median, repeat } from "./_common.ts";
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
const NOOP: TaskRef = { module: new URL("./_tasks/tasks.ts", import.meta.url), export: "noop" };

function noop(x: number): number {
  return x;
}

async function bench(
  peer: string,
  make: () => BaseExecutor,
  task: TaskRef | ((x: number) => number),
  n: number,
): Promise<void> {
  const ex = make();
  try {
    const warm = await Promise.all([0, 1, 2, 3].map((i) => ex.submit<number>(task, i)));
    check(warm.reduce((a, b) => a + b, 0) === 6, `${peer}: warm-up`);
    const walls = await repeat(async () => {
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
    });
    log(`${peer}: ${n} tasks, trials ${walls.map((w) => w.toFixed(3)).join(" ")} s`);
    emit(peer, "W1", "tasks_per_s", n / median(walls), "tasks/s");
    emit(peer, "W1", "tasks", n, "count");
  } finally {
    await ex.shutdown({ wait: true });
  }
}

await bench(
  "fjord.WorkerPoolExecutor(2)",
  () => new WorkerPoolExecutor({ maxWorkers: 2 }),
  NOOP,
  N,
);
await bench(
  "fjord.ProcessPoolExecutor(2)",
  () => new ProcessPoolExecutor({ maxWorkers: 2, denoArgs: ["--allow-read"] }),
  NOOP,
  N,
);
await bench(
  "fjord.AsyncPoolExecutor(2)",
  () => new AsyncPoolExecutor({ maxWorkers: 2 }),
  noop,
  N,
);
await bench("fjord.SynchronousExecutor", () => new SynchronousExecutor(), noop, N);
