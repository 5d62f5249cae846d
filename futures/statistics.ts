/**
 * {@linkcode ExecutorStatistics}: an immutable snapshot of what an executor has run.
 *
 * @module
 */

import { checkNumber } from "../runtime/_check_number.ts";

/**
 * The counters of an {@linkcode ExecutorStatistics} snapshot (omitted ones are 0).
 *
 * @example
 * ```ts
 * import { ExecutorStatistics, type ExecutorStatisticsInit } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * const init: ExecutorStatisticsInit = { executed: 4, failures: 1, runtime: 100 };
 * const stats = new ExecutorStatistics(init);
 * assert.equal(stats.averageRuntime, 25);
 * assert.equal(stats.cancelled, 0);
 * ```
 */
export interface ExecutorStatisticsInit {
  /** Finished futures that failed. */
  failures?: number;
  /** Finished futures (successes and failures; not cancelled ones). */
  executed?: number;
  /** Summed runtime in ms (pools: from submit, so queue wait is included). */
  runtime?: number;
  /** Futures cancelled before they ran. */
  cancelled?: number;
}

/**
 * An immutable snapshot of an executor's counters, following futurist's rules: a cancelled
 * future counts in `cancelled` only (at the moment it is cancelled); a finished one counts in
 * `executed`, in `failures` when it failed, and adds `max(0, done − start)` to `runtime`, where
 * `start` is the submit time for pools (queue wait included) and the start of the inline run for
 * {@linkcode SynchronousExecutor}. Rejected submissions are not counted.
 *
 * @example
 * ```ts
 * import { SynchronousExecutor } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * const ex = new SynchronousExecutor();
 * assert.equal(ex.statistics.averageRuntime, 0);
 * ex.submit(() => 1);
 * ex.submit(() => { throw new Error("x"); });
 * const stats = ex.statistics;
 * assert.equal(stats.executed, 2);
 * assert.equal(stats.failures, 1);
 * assert.ok(Object.isFrozen(stats));
 * ```
 */
export class ExecutorStatistics {
  /** Finished futures that failed. */
  readonly failures: number;
  /** Finished futures (successes and failures). */
  readonly executed: number;
  /** Summed runtime in ms. */
  readonly runtime: number;
  /** Futures cancelled before they ran. */
  readonly cancelled: number;

  /**
   * Creates a snapshot (every counter defaults to 0).
   *
   * @param init The counters.
   * @throws {TypeError} When a counter is not a number.
   * @throws {RangeError} When a counter is negative or not finite.
   */
  constructor(init: ExecutorStatisticsInit = {}) {
    const { failures = 0, executed = 0, runtime = 0, cancelled = 0 } = init;
    for (const [name, v] of Object.entries({ failures, executed, runtime, cancelled })) {
      checkNumber(
        v,
        "create ExecutorStatistics",
        name,
        "a finite number >= 0",
        (n) => Number.isFinite(n) && n >= 0,
      );
    }
    this.failures = failures;
    this.executed = executed;
    this.runtime = runtime;
    this.cancelled = cancelled;
    Object.freeze(this);
  }

  /** `runtime / executed` in ms; 0 when nothing ran (futurist raises ZeroDivisionError). */
  get averageRuntime(): number {
    return this.executed === 0 ? 0 : this.runtime / this.executed;
  }

  /**
   * A readable summary.
   *
   * @returns e.g. `ExecutorStatistics(failures=0, executed=2, runtime=1.00, cancelled=0)`.
   *
   * @example
   * ```ts
   * import { ExecutorStatistics } from "@fjord/fjord/futures";
   * import assert from "node:assert/strict";
   *
   * assert.equal(
   *   String(new ExecutorStatistics({ executed: 2, runtime: 1 })),
   *   "ExecutorStatistics(failures=0, executed=2, runtime=1.00, cancelled=0)",
   * );
   * ```
   */
  toString(): string {
    return `ExecutorStatistics(failures=${this.failures}, executed=${this.executed}, runtime=${
      this.runtime.toFixed(2)
    }, cancelled=${this.cancelled})`;
  }
}
