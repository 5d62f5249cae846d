// The check of a `random` option's value: a source that returns NaN, a negative number or one
// past 1 made sleeps NaN or jitter unbounded (a loop that never yielded, a task run every time).

import { describeValue } from "../runtime/_describe.ts";

/** Returns `u` when it is a number in [0, 1); throws a TypeError or RangeError naming `random`. */
export function unitRandom(u: unknown, what: string): number {
  if (typeof u !== "number" || !(u >= 0 && u < 1)) {
    throw new (typeof u === "number" ? RangeError : TypeError)(
      `Cannot ${what} as 'random' must return a number in [0, 1): current value is ${
        describeValue(u)
      }`,
    );
  }
  return u;
}
