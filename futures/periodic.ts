/**
 * Marking functions as periodic for {@linkcode PeriodicWorker}: {@linkcode periodic},
 * {@linkcode isPeriodic}, {@linkcode NeverAgain}.
 *
 * @module
 */

import { checkNumber } from "../runtime/_check_number.ts";
import { describeValue } from "../runtime/_describe.ts";

/**
 * How a {@linkcode periodic} function is scheduled (frozen; read it from `fn.periodic`).
 *
 * @example
 * ```ts
 * import { periodic, type PeriodicSpec } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * const spec: PeriodicSpec = periodic(500)(() => {}).periodic;
 * assert.deepEqual(spec, { spacing: 500, runImmediately: false, enabled: true });
 * ```
 */
export interface PeriodicSpec {
  /** Milliseconds between runs (how they are measured depends on the schedule strategy). */
  readonly spacing: number;
  /** Run once as soon as the worker starts, before the first `spacing` has passed. */
  readonly runImmediately: boolean;
  /** Disabled functions are skipped by {@linkcode PeriodicWorker}. */
  readonly enabled: boolean;
}

/**
 * A function marked by {@linkcode periodic}.
 *
 * @example Picking the enabled callbacks
 * ```ts
 * import { periodic, type PeriodicFn } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * const fns: PeriodicFn[] = [
 *   periodic(1000)(function poll() {}),
 *   periodic(0, { enabled: false })(function legacy() {}),
 * ];
 * assert.deepEqual(fns.filter((fn) => fn.periodic.enabled).map((fn) => fn.name), ["poll"]);
 * ```
 */
// deno-lint-ignore no-explicit-any
export type PeriodicFn = ((...args: any[]) => unknown) & {
  /** Its schedule. */
  readonly periodic: PeriodicSpec;
};

/**
 * Options for {@linkcode periodic}.
 *
 * @example A callback turned off by configuration
 * ```ts
 * import { periodic, type PeriodicOptions, PeriodicWorker } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * const options: PeriodicOptions = { enabled: false };
 * const report = periodic(0, options)(() => "report");
 * assert.equal(report.periodic.enabled, false);
 * assert.equal(new PeriodicWorker([]).add(report), undefined);
 * ```
 */
export interface PeriodicOptions {
  /** Run once as soon as the worker starts (default `false`). */
  runImmediately?: boolean;
  /** When `false` the function is skipped, and `spacing` may be <= 0 (default `true`). */
  enabled?: boolean;
}

/**
 * Raise from a periodic callback to remove it for good: the run counts as a success and the
 * watcher's `requestedStop` becomes `true`.
 *
 * @example
 * ```ts
 * import { NeverAgain } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new NeverAgain().name, "NeverAgain");
 * ```
 */
export class NeverAgain extends Error {
  /**
   * Creates the signal.
   *
   * @param message Why the callback stops.
   */
  constructor(message = "Periodic callback asked never to run again") {
    super(message);
    this.name = "NeverAgain";
  }
}

/**
 * Marks a function as periodic (futurist's `@periodic`). Use it as a wrapper
 * (`periodic(1000)(fn)`) or as a method decorator (`@periodic(1000)`); the result calls `fn` with
 * the same `this` and arguments and carries a `periodic` spec.
 *
 * @param spacing Milliseconds between runs; must be > 0 unless `enabled` is `false`.
 * @param options `runImmediately`, `enabled`.
 * @returns A function that marks (a copy of) what it is given.
 * @throws {TypeError} When `spacing` is not a number.
 * @throws {RangeError} When `spacing` is NaN, or not > 0 while enabled.
 *
 * @example
 * ```ts
 * import { isPeriodic, periodic } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * const tick = periodic(1000, { runImmediately: true })(() => "tick");
 * assert.ok(isPeriodic(tick));
 * assert.equal(tick.periodic.spacing, 1000);
 * assert.equal(tick(), "tick");
 * ```
 */
export function periodic(
  spacing: number,
  options: PeriodicOptions = {},
): <F>(fn: F) => F & PeriodicFn {
  const { runImmediately = false, enabled = true } = options;
  checkNumber(
    spacing,
    "mark periodic",
    "spacing",
    "a number > 0",
    (n) => !Number.isNaN(n) && (!enabled || n > 0),
  );
  const spec: PeriodicSpec = Object.freeze({
    spacing,
    runImmediately: Boolean(runImmediately),
    enabled: Boolean(enabled),
  });
  return <F>(fn: F): F & PeriodicFn => {
    if (typeof fn !== "function") {
      throw new TypeError(
        `Cannot mark periodic as 'fn' must be a function: current value is ${describeValue(fn)}`,
      );
    }
    const target = fn as unknown as (...a: unknown[]) => unknown;
    const wrapped = function (this: unknown, ...args: unknown[]): unknown {
      return target.apply(this, args);
    };
    Object.defineProperty(wrapped, "name", { value: target.name, configurable: true });
    Object.defineProperty(wrapped, "periodic", { value: spec, enumerable: true });
    return wrapped as unknown as F & PeriodicFn;
  };
}

/**
 * Whether `value` is a function marked by {@linkcode periodic} (enabled or not, like futurist's
 * `is_periodic`).
 *
 * @param value Anything.
 * @returns `true` for a marked function.
 *
 * @example
 * ```ts
 * import { isPeriodic, periodic } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isPeriodic(periodic(0, { enabled: false })(() => {})));
 * assert.ok(!isPeriodic(() => {}));
 * ```
 */
export function isPeriodic(value: unknown): value is PeriodicFn {
  if (typeof value !== "function") return false;
  const spec = (value as { periodic?: unknown }).periodic as PeriodicSpec | undefined;
  return typeof spec === "object" && spec !== null && typeof spec.spacing === "number" &&
    typeof spec.runImmediately === "boolean" && typeof spec.enabled === "boolean";
}
