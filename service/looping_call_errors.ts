/**
 * The errors that end a looping call: {@linkcode LoopingCallDone} (thrown by the function to
 * finish) and {@linkcode LoopingCallTimeOut} (its time ran out).
 *
 * @module
 */

/**
 * Thrown by a looping call's function to finish the loop: `wait()` resolves with `retvalue`.
 *
 * @example Finishing a loop with a value
 * ```ts
 * import { FakeClock, FixedIntervalLoopingCall, LoopingCallDone } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * using clock = new FakeClock();
 * let n = 0;
 * const call = new FixedIntervalLoopingCall(() => {
 *   if (++n === 3) throw new LoopingCallDone(n);
 * }, { clock }).start({ interval: 100 });
 * await clock.runAll();
 * assert.equal(await call.wait(), 3);
 * ```
 */
export class LoopingCallDone extends Error {
  /** What `wait()` resolves with (`true` when no value was given, as in oslo). */
  readonly retvalue: unknown;

  /**
   * Creates the signal to finish a loop.
   *
   * @param retvalue The value `wait()` resolves with; `undefined` means `true`.
   */
  constructor(retvalue: unknown = true) {
    super("Looping call done");
    this.name = "LoopingCallDone";
    this.retvalue = retvalue;
  }
}

/**
 * Ends a looping call whose time ran out (`FixedIntervalWithTimeoutLoopingCall`,
 * `BackOffLoopingCall`); `wait()` rejects with it.
 *
 * @example
 * ```ts
 * import { LoopingCallTimeOut } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * const err = new LoopingCallTimeOut("Looping call timed out after 600.00 ms");
 * assert.equal(err.name, "LoopingCallTimeOut");
 * ```
 */
export class LoopingCallTimeOut extends Error {
  /**
   * Creates the error.
   *
   * @param message What timed out and after how long.
   * @param options `cause`, as for `Error`.
   */
  constructor(message = "Looping call timed out", options?: ErrorOptions) {
    super(message, options);
    this.name = "LoopingCallTimeOut";
  }
}
