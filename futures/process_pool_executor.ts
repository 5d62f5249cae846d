/**
 * {@linkcode ProcessPoolExecutor}: a pool of child Deno processes running {@linkcode TaskRef}s.
 *
 * @module
 */

import "./_deferred_runner.ts";
import { describeValue } from "../runtime/_describe.ts";
import { BaseExecutor, type RemotePoolExecutorOptions } from "./executor.ts";

/**
 * Options for {@linkcode ProcessPoolExecutor}: {@linkcode RemotePoolExecutorOptions}, where
 * `denoArgs` are the children's `deno run` flags.
 *
 * @example One child process with no permissions
 * ```ts
 * import { ProcessPoolExecutor, type ProcessPoolExecutorOptions } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * const code = "export const pid = () => Deno.pid;";
 * const pid = { module: `data:text/javascript,${code}`, export: "pid" };
 * const options: ProcessPoolExecutorOptions = { maxWorkers: 1, denoArgs: [] };
 * await using ex = new ProcessPoolExecutor(options);
 * assert.notEqual(await ex.submit(pid), Deno.pid);
 * ```
 */
export type ProcessPoolExecutorOptions = RemotePoolExecutorOptions;

/**
 * Runs {@linkcode TaskRef} tasks in child `deno run` processes (futurist's
 * `ProcessPoolExecutor`). `maxWorkers` defaults to `navigator.hardwareConcurrency`; children
 * start on the first submission. Messages are length-prefixed v8-serialized frames over the
 * child's stdin/stdout (structured-clone semantics); a child's `console.log` goes to its stderr.
 * `denoArgs` are the children's permission flags; by default every permission this process holds
 * in full is passed on (`--allow-read` is needed to import `file:` task modules). A child runs
 * one task at a time, so at most `maxWorkers` tasks run at once, async tasks included.
 *
 * Faults: a child that dies (a signal, `Deno.exit()`, an uncaught error) fails only the task it
 * was running, with a {@linkcode WorkerCrashedError} carrying its `exitCode` or `signal`; the
 * tasks sent to it but not started go to other children. Dead children are replaced under
 * `restart` (a {@linkcode RestartPolicy}, with back-off); children that keep dying, before they
 * are ready included, make the pool `broken`: pending and later submissions reject with a
 * {@linkcode BrokenExecutorError} whose `stderr` is the last dead child's stderr tail (children's
 * stderr is still passed through to this process's). `taskTimeout` / `submitWith({timeout,
 * signal})` / `shutdown({timeout})` stop a task by SIGKILLing its child, even one stuck in a
 * synchronous loop. Children exit when their stdin closes (on shutdown, or when this process
 * dies), and on Linux they are SIGKILLed when this process dies: by the kernel (`setpriv
 * --pdeathsig`, util-linux) or, without setpriv, within about a second by a `/bin/sh` this
 * process starts beside its children; so none outlives a SIGKILLed parent. An idle pool does
 * not keep this process alive (children are unref'd while they have no work); shut it down to
 * release them at once.
 *
 * @example
 * ```ts ignore
 * import { ProcessPoolExecutor } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * await using ex = new ProcessPoolExecutor({ maxWorkers: 2, denoArgs: ["--allow-read"] });
 * const fib = { module: new URL("./tasks.ts", import.meta.url), export: "fib" };
 * assert.equal(await ex.submit(fib, 20), 6765);
 * ```
 */
export class ProcessPoolExecutor extends BaseExecutor {
  /**
   * Creates the pool (processes start on the first submission).
   *
   * @param options `maxWorkers` (>= 1), `denoArgs`, `tasksPerWorker` (>= 1),
   *   `checkAndReject`, `clock`, `taskTimeout` (ms), `restart`.
   * @throws {RangeError} When `maxWorkers` or `tasksPerWorker` is not an integer >= 1, or a
   *   `taskTimeout` or `restart` field is out of range.
   * @throws {TypeError} When `denoArgs` is not an array of strings.
   */
  constructor(options: ProcessPoolExecutorOptions = {}) {
    const { denoArgs } = options;
    if (
      denoArgs !== undefined &&
      (!Array.isArray(denoArgs) || denoArgs.some((a) => typeof a !== "string"))
    ) {
      throw new TypeError(
        `Cannot create ProcessPoolExecutor as 'denoArgs' must be an array of strings: current value is ${
          describeValue(denoArgs)
        }`,
      );
    }
    super("process", options);
  }
}
