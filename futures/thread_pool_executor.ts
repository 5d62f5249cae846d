/**
 * {@linkcode ThreadPoolExecutor}: the selected backend's pool executor.
 *
 * @module
 */

import "./_local_runner.ts";
import "./_deferred_runner.ts";
import { selectedIsolation } from "../runtime/selection.ts";
import { BaseExecutor, type RemotePoolExecutorOptions } from "./executor.ts";

/**
 * Options for {@linkcode ThreadPoolExecutor}: {@linkcode RemotePoolExecutorOptions} without
 * `denoArgs` (`tasksPerWorker` only matters on the threading backend).
 *
 * @example
 * ```ts
 * import { initBackend, resetBackend } from "@fjord/fjord";
 * import { ThreadPoolExecutor, type ThreadPoolExecutorOptions } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * resetBackend();
 * initBackend("cooperative");
 * const order: string[] = [];
 * const task = async (s: string): Promise<void> => {
 *   order.push(`${s} start`);
 *   await Promise.resolve();
 *   order.push(`${s} end`);
 * };
 * const options: ThreadPoolExecutorOptions = { maxWorkers: 1 };
 * await using ex = new ThreadPoolExecutor(options);
 * await Promise.all(["a", "b"].map((s) => ex.submit(task, s)));
 * assert.deepEqual(order, ["a start", "a end", "b start", "b end"]);
 * resetBackend();
 * ```
 */
export type ThreadPoolExecutorOptions = Omit<RemotePoolExecutorOptions, "denoArgs">;

/**
 * futurist's `ThreadPoolExecutor`, mapped onto the selected backend when constructed: with the
 * threading backend (`taskIsolation: "worker"`) it behaves as a {@linkcode WorkerPoolExecutor}
 * (TaskRef tasks in Web Workers, `maxWorkers` defaulting to the CPU count); with the cooperative
 * backend (`"isolate"`) as an {@linkcode AsyncPoolExecutor} (functions or TaskRefs on this
 * isolate, `maxWorkers` defaulting to CPUs × 5). It is one class sharing the executor base with
 * both (the runner is picked in the constructor), so `instanceof ThreadPoolExecutor` holds.
 * {@linkcode ThreadPoolExecutor.isolation} says which one you got.
 *
 * @example
 * ```ts
 * import { initBackend, resetBackend } from "@fjord/fjord";
 * import { ThreadPoolExecutor } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * resetBackend();
 * initBackend("cooperative");
 * await using ex = new ThreadPoolExecutor({ maxWorkers: 2 });
 * assert.equal(ex.isolation, "isolate");
 * assert.equal(await ex.submit(() => 1), 1);
 * resetBackend();
 * ```
 */
export class ThreadPoolExecutor extends BaseExecutor {
  /** Where tasks run: `"worker"` (Web Workers) or `"isolate"` (this event loop). */
  readonly isolation: "worker" | "isolate";

  /**
   * Creates the pool for the selected backend (selecting the default backend if none is).
   *
   * @param options `maxWorkers` (>= 1), `checkAndReject`, `clock`; `tasksPerWorker` for Workers.
   * @throws {RangeError} When `maxWorkers` or `tasksPerWorker` is not an integer >= 1.
   */
  constructor(options: ThreadPoolExecutorOptions = {}) {
    const isolation = selectedIsolation().taskIsolation;
    super(isolation === "worker" ? "worker" : "async", options);
    this.isolation = isolation;
  }
}
