/**
 * Futures and executors (futurist for Deno): {@linkcode Future}, the synchronous, async-pool,
 * Web Worker pool and child-process pool executors, statistics, back-pressure, waiters and
 * {@linkcode PeriodicWorker}.
 *
 * @example Running work on a bounded pool
 * ```ts
 * import { AsyncPoolExecutor, waitForAll } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * await using ex = new AsyncPoolExecutor({ maxWorkers: 4 });
 * const futures = [1, 2, 3].map((n) => ex.submit(async (x: number) => x * 10, n));
 * const { done } = await waitForAll(futures);
 * assert.equal(done.size, 3);
 * assert.deepEqual(await Promise.all(futures), [10, 20, 30]);
 * assert.equal(ex.statistics.executed, 3);
 * ```
 *
 * @module
 */

// Re-exported so the `clock` options and the TaskRef tasks are documented with this entry point.
export type { Clock, SleepOptions } from "../runtime/clock.ts";
export type { RestartPolicy } from "../runtime/restart_policy.ts";
export type { TaskRef, UntypedTask } from "../runtime/task_ref.ts";
export * from "./errors.ts";
export * from "./future.ts";
export * from "./statistics.ts";
export * from "./rejection.ts";
export * from "./executor.ts";
export * from "./synchronous_executor.ts";
export * from "./async_pool_executor.ts";
export * from "./worker_pool_executor.ts";
export * from "./process_pool_executor.ts";
export * from "./thread_pool_executor.ts";
export * from "./waiters.ts";
export * from "./transfer.ts";
export * from "./periodic.ts";
export * from "./periodic_worker.ts";
