// The `timeout` option shared by Future.result()/exception(), the waiters and
// PeriodicWorker.wait(): what to reject with when it is invalid.

import { numberError } from "../runtime/_check_number.ts";

/**
 * The error for an invalid `timeout` (ms), or `undefined` when it is absent or valid: a TypeError
 * when it is not a number ("5"), a RangeError when it is NaN or negative.
 */
export function badTimeout(timeout: unknown, action: string): TypeError | RangeError | undefined {
  if (timeout === undefined) return undefined;
  return numberError(timeout, action, "timeout", "a number >= 0", (n) => n >= 0);
}
