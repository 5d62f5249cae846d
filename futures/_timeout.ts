// The checks of the wait options shared by Future.result()/exception(), the waiters and
// PeriodicWorker.wait(), thrown at the call.

import { checkClock } from "../runtime/_check_clock.ts";
import { checkNumber } from "../runtime/_check_number.ts";
import { checkOptionsObject, checkSignalOption } from "../runtime/_check_options.ts";

/**
 * Throws for an options object that is not one, a `timeout` that is not a number ("5": a
 * TypeError) or is NaN or negative (a RangeError), a `clock` that is not a Clock, or a `signal`
 * that is not an AbortSignal.
 */
export function checkWaitOptions(
  options: { timeout?: number; signal?: AbortSignal; clock?: unknown },
  action: string,
): void {
  checkOptionsObject(options, action);
  if (options.timeout !== undefined) {
    checkNumber(options.timeout, action, "timeout", "a number >= 0", (n) => n >= 0);
  }
  if ("clock" in options) checkClock(options.clock, action);
  checkSignalOption(options.signal, action);
}
