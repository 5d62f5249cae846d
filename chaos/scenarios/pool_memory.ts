// 300 000 tasks through each pool (Worker, process, async, synchronous), in waves of 5 000: this
// process's RSS must stay flat after warm-up (no per-task leak in futures, queues, statistics or
// the message plumbing). The short run pushes 5 000 tasks per pool (results and statistics).

import type { Scenario, ScenarioResult } from "../scenario.ts";
import {
  AsyncPoolExecutor,
  type BaseExecutor,
  type Future,
  ProcessPoolExecutor,
  SynchronousExecutor,
  WorkerPoolExecutor,
} from "../../futures/mod.ts";
import type { TaskRef } from "../../runtime/task_ref.ts";

const TASKS = new URL("../../tests/futures/_fixtures/tasks.ts", import.meta.url);
const ADD: TaskRef<(a: number, b: number) => number> = { module: TASKS, export: "add" };
const WAVE = 5_000;
// The first half of the run is warm-up (V8 grows its heaps for a while: measured 113 MB after
// 15 000 tasks, 185 MB after 150 000, 188 MB after 300 000 on a Worker pool); over the second
// half RSS may grow at most this much, about 100 bytes per task over 150 000 tasks.
const MAX_GROWTH_MB = 16;

const rssMb = (): number => Deno.memoryUsage().rss / 1024 / 1024;

async function settle(): Promise<void> {
  // Let V8 collect before sampling (no --expose-gc in the runner): a few idle turns.
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 20));
}

async function push(
  ex: BaseExecutor,
  task: TaskRef<(a: number, b: number) => number> | ((a: number, b: number) => number),
  total: number,
): Promise<{ done: number; wrong: number; growth: number }> {
  let done = 0;
  let wrong = 0;
  let warm = 0;
  let peakAfterWarm = 0;
  const waves = Math.max(1, Math.ceil(total / WAVE));
  for (let w = 0; w < waves; w++) {
    const n = Math.min(WAVE, total - w * WAVE);
    const fs: Future<number>[] = new Array(n);
    for (let i = 0; i < n; i++) fs[i] = ex.submit(task as typeof ADD, i, 1);
    const vs = await Promise.all(fs);
    for (let i = 0; i < n; i++) if (vs[i] !== i + 1) wrong++;
    done += n;
    const half = Math.floor(waves / 2);
    if (w === half) {
      await settle();
      warm = rssMb();
    } else if (w > half) peakAfterWarm = Math.max(peakAfterWarm, rssMb());
  }
  await settle();
  peakAfterWarm = Math.max(peakAfterWarm, rssMb());
  // The short run (one wave) checks results and statistics only.
  return { done, wrong, growth: waves >= 4 ? peakAfterWarm - warm : 0 };
}

const scenario: Scenario = {
  name: "pool: 300 000 tasks per pool, RSS flat after warm-up",
  iterations: { full: 300_000, short: 5_000 },
  async run({ iterations }): Promise<ScenarioResult> {
    const failures: string[] = [];
    let count = 0;
    const add = (a: number, b: number): number => a + b;
    const pools: [string, () => BaseExecutor, typeof ADD | typeof add][] = [
      ["WorkerPoolExecutor", () => new WorkerPoolExecutor({ maxWorkers: 2 }), ADD],
      ["ProcessPoolExecutor", () => new ProcessPoolExecutor({ maxWorkers: 2 }), ADD],
      ["AsyncPoolExecutor", () => new AsyncPoolExecutor({ maxWorkers: 2 }), add],
      ["SynchronousExecutor", () => new SynchronousExecutor(), add],
    ];
    for (const [name, make, task] of pools) {
      const ex = make();
      try {
        const { done, wrong, growth } = await push(ex, task, iterations);
        count += done;
        if (wrong > 0) failures.push(`${name}: ${wrong} wrong results`);
        if (growth > MAX_GROWTH_MB) {
          failures.push(`${name}: RSS grew ${growth.toFixed(1)} MB after warm-up`);
        }
        const s = ex.statistics;
        if (s.executed !== done || s.failures !== 0) {
          failures.push(`${name}: statistics say ${s.executed} executed, ${s.failures} failed`);
        }
      } finally {
        await ex.shutdown();
      }
    }
    return { count, failures };
  },
};
export default scenario;
