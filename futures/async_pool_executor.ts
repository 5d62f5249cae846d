/**
 * {@linkcode AsyncPoolExecutor}: bounded concurrency on this isolate's event loop.
 *
 * @module
 */

import "./_local_runner.ts";
import { BaseExecutor, type PoolExecutorOptions } from "./executor.ts";

/**
 * Runs functions (or {@linkcode TaskRef}s, imported here) as async tasks on this isolate, at most
 * `maxWorkers` at once, the rest waiting in a FIFO queue (futurist's `ThreadPoolExecutor`
 * without threads; the cooperative backend's `Executor`). Work starts on a microtask after
 * `submit()`, never inside it. `maxWorkers` defaults to `navigator.hardwareConcurrency × 5`
 * (futurist's `cpu_count() * 5`). CPU-bound work blocks the event loop; use
 * {@linkcode WorkerPoolExecutor} for that.
 *
 * @example
 * ```ts
 * import { AsyncPoolExecutor } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * await using ex = new AsyncPoolExecutor({ maxWorkers: 2 });
 * let active = 0, peak = 0;
 * const job = async () => {
 *   peak = Math.max(peak, ++active);
 *   await new Promise((r) => setTimeout(r, 1));
 *   active--;
 * };
 * await Promise.all([1, 2, 3, 4, 5].map(() => ex.submit(job)));
 * assert.equal(peak, 2);
 * ```
 */
export class AsyncPoolExecutor extends BaseExecutor {
  /**
   * Creates the pool.
   *
   * @param options `maxWorkers` (>= 1), `checkAndReject`, `clock`.
   * @throws {RangeError} When `maxWorkers` is not an integer >= 1.
   */
  constructor(options: PoolExecutorOptions = {}) {
    super("async", options);
  }
}
