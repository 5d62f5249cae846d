// The one check of a `clock` option. Without it a bad clock ({}, 5, { now: 1 }) failed only at
// its first use with "now is not a function", often deep in a timer, far from the bad call.

import type { Clock } from "./clock.ts";
import { describeValue } from "./_describe.ts";

/**
 * The TypeError for a `clock` option that is not a {@linkcode Clock}, naming `parameter`;
 * `undefined` when `value` is undefined (the default clock) or has `now()` and `sleep()`.
 * For APIs that report bad arguments through a rejected promise.
 */
export function clockError(
  value: unknown,
  what: string,
  parameter = "clock",
): TypeError | undefined {
  if (value === undefined) return undefined;
  const c = value as Partial<Record<keyof Clock, unknown>> | null;
  if (
    c !== null && typeof c === "object" &&
    typeof c.now === "function" && typeof c.sleep === "function"
  ) {
    return undefined;
  }
  return new TypeError(
    `Cannot ${what} as '${parameter}' must be a Clock (an object with now() and sleep()): current value is ${
      describeValue(value)
    }`,
  );
}

/** Throws {@linkcode clockError}'s TypeError unless `value` is undefined or a Clock. */
export function checkClock(
  value: unknown,
  what: string,
  parameter = "clock",
): asserts value is Clock | undefined {
  const error = clockError(value, what, parameter);
  if (error !== undefined) throw error;
}
