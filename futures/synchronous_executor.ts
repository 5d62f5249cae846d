/**
 * {@linkcode SynchronousExecutor}: runs work inline, in the caller's `submit()`.
 *
 * @module
 */

import type { Clock } from "../runtime/clock.ts";
import { executorInternals } from "./_executor_internals.ts";
import "./_local_runner.ts";
import { BaseExecutor } from "./executor.ts";

/**
 * Options for {@linkcode SynchronousExecutor}.
 *
 * @example Measuring run time on a fake clock
 * ```ts
 * import { FakeClock } from "@fjord/fjord";
 * import { SynchronousExecutor, type SynchronousExecutorOptions } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * using clock = new FakeClock();
 * const options: SynchronousExecutorOptions = { clock };
 * const ex = new SynchronousExecutor(options);
 * ex.submit(() => clock.tick(25));
 * assert.equal(ex.statistics.runtime, 25);
 * ```
 */
export interface SynchronousExecutorOptions {
  /** The clock statistics are measured on (default `systemClock`). */
  clock?: Clock;
}

/**
 * Runs each submitted function inline, before `submit()` returns (futurist's
 * `SynchronousExecutor`): a synchronous function's future is already done; an async function's
 * future settles with its promise. Handy for tests and as {@linkcode PeriodicWorker}'s default.
 * Statistics measure pure run time (from the start of the call).
 *
 * @example
 * ```ts
 * import { SynchronousExecutor } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * const ex = new SynchronousExecutor();
 * const f = ex.submit((a: number) => a * 2, 21);
 * assert.ok(f.done());
 * assert.equal(await f, 42);
 * ```
 */
export class SynchronousExecutor extends BaseExecutor {
  /**
   * Creates the executor.
   *
   * @param options `clock`.
   */
  constructor(options: SynchronousExecutorOptions = {}) {
    super("inline", options.clock !== undefined ? { clock: options.clock } : {});
  }

  /**
   * Makes a shut-down executor usable again and resets its statistics (no-op while alive).
   *
   * @example
   * ```ts
   * import { SynchronousExecutor } from "@fjord/fjord/futures";
   * import assert from "node:assert/strict";
   *
   * const ex = new SynchronousExecutor();
   * ex.submit(() => 1);
   * await ex.shutdown();
   * ex.restart();
   * assert.ok(ex.alive);
   * assert.equal(ex.statistics.executed, 0);
   * ```
   */
  restart(): void {
    executorInternals.restart(this);
  }
}
