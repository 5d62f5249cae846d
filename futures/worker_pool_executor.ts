/**
 * {@linkcode WorkerPoolExecutor}: a pool of module Web Workers running {@linkcode TaskRef} tasks.
 *
 * @module
 */

import "./_isolate_runner.ts";
import { BaseExecutor, type RemotePoolExecutorOptions } from "./executor.ts";

/**
 * Options for {@linkcode WorkerPoolExecutor}: {@linkcode RemotePoolExecutorOptions} without
 * `denoArgs` (Workers inherit this process's permissions).
 *
 * @example
 * ```ts
 * import { WorkerPoolExecutor, type WorkerPoolExecutorOptions } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * const code = "export const upper = (s) => s.toUpperCase();";
 * const upper = { module: `data:text/javascript,${code}`, export: "upper" };
 * const options: WorkerPoolExecutorOptions = { maxWorkers: 1, tasksPerWorker: 4 };
 * await using ex = new WorkerPoolExecutor(options);
 * assert.equal(await ex.submit(upper, "fjord"), "FJORD");
 * ```
 */
export type WorkerPoolExecutorOptions = Omit<RemotePoolExecutorOptions, "denoArgs">;

/**
 * Runs {@linkcode TaskRef} tasks in a pool of module Web Workers (real parallelism; the threading
 * backend's `Executor`). `maxWorkers` defaults to `navigator.hardwareConcurrency`; Workers start
 * on the first submission. Arguments and results are structured-cloned; errors come back with
 * their name, message, stack and cause. Each Worker is sent up to `tasksPerWorker` tasks ahead
 * (default 32; 2 once tasks take over 1 ms), which makes small tasks cheap; those count as
 * running. A live pool keeps the process running (as any Worker does): shut it down, or use
 * `await using`. A Worker that dies (`self.close()`, `Deno.exit()`, an uncaught error) is
 * replaced: the tasks it was running fail with {@linkcode WorkerCrashedError}, the ones it had
 * not started go to another Worker (a task that was on 3 Workers that died fails instead, so a
 * task module that kills its Worker while it loads cannot make the pool respawn forever).
 * Plain functions are refused with a `TypeError`: closures cannot cross isolates.
 *
 * @example
 * ```ts
 * import { WorkerPoolExecutor } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * const code = "export function add(a, b) { return a + b; }";
 * const add = { module: `data:text/javascript,${code}`, export: "add" };
 * await using ex = new WorkerPoolExecutor({ maxWorkers: 1 });
 * assert.equal(await ex.submit(add, 2, 3), 5);
 * ```
 */
export class WorkerPoolExecutor extends BaseExecutor {
  /**
   * Creates the pool (Workers start on the first submission).
   *
   * @param options `maxWorkers` (>= 1), `tasksPerWorker` (>= 1), `checkAndReject`, `clock`.
   * @throws {RangeError} When `maxWorkers` or `tasksPerWorker` is not an integer >= 1.
   */
  constructor(options: WorkerPoolExecutorOptions = {}) {
    super("worker", options);
  }
}
