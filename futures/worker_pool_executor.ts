/**
 * {@linkcode WorkerPoolExecutor}: a pool of module Web Workers running {@linkcode TaskRef} tasks.
 *
 * @module
 */

import "./_deferred_runner.ts";
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
 * together on the first submission. Arguments and results are structured-cloned; errors come
 * back with their name, message, stack and cause. A Worker runs one task at a time, so at most
 * `maxWorkers` tasks run at once, async tasks included; quick tasks are still sent up to
 * `tasksPerWorker` at a time (default 32; 2 once tasks take over 1 ms, 1 while the first result
 * is awaited), which keeps them cheap. Tasks sent ahead wait in their Worker: not `running()`,
 * no longer cancellable. A live pool keeps the process running (as any Worker does): shut it
 * down, or use `await using`.
 *
 * Faults: a Worker that dies (`self.close()`, `Deno.exit()`, an uncaught error) fails only the
 * task it was running ({@linkcode WorkerCrashedError}); the tasks sent to it but not started go
 * to other Workers (a task that was on 3 Workers that died fails instead, so a task module that
 * kills its Worker while it loads cannot make the pool respawn forever). Dead Workers are
 * replaced under `restart` (a {@linkcode RestartPolicy}, the launchers' rule, with back-off);
 * beyond it the pool is `broken`: pending and later submissions reject with
 * {@linkcode BrokenExecutorError} (`submit()` returns an already-rejected future), `alive` is
 * `false`, `shutdown()` still resolves. `taskTimeout` / `submitWith({timeout, signal})` stop a
 * task by terminating its Worker. Limitation (Deno 2.9, denoland/deno#35657): a Worker stuck in
 * a synchronous loop keeps running after `terminate()`, and keeps the process alive; its future
 * still rejects and a new Worker takes its place. Use {@linkcode ProcessPoolExecutor} for tasks
 * that may spin forever. Plain functions are refused with a `TypeError`: closures cannot cross
 * isolates.
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
   * @param options `maxWorkers` (>= 1), `tasksPerWorker` (>= 1), `checkAndReject`, `clock`,
   *   `taskTimeout` (ms), `restart`.
   * @throws {RangeError} When `maxWorkers` or `tasksPerWorker` is not an integer >= 1, or a
   *   `taskTimeout` or `restart` field is out of range.
   */
  constructor(options: WorkerPoolExecutorOptions = {}) {
    super("worker", options);
  }
}
