/**
 * `SignalExit`: the error that ends a launcher's `wait()` with a chosen exit code.
 *
 * @module
 */

import { checkNumber } from "../runtime/_check_number.ts";

/**
 * Raised to end a service run because of a signal (oslo.service's `SignalExit`). A service whose
 * `start()` or `wait()` throws a `SignalExit` makes its launcher's `wait()` resolve `code`
 * instead of 2 (a plain service error).
 *
 * @example
 * ```ts
 * import { SignalExit } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * const exit = new SignalExit("SIGHUP");
 * assert.equal(exit.code, 1);
 * assert.equal(exit.name, "SignalExit");
 * ```
 */
export class SignalExit extends Error {
  /** The signal's name, e.g. `"SIGHUP"`. */
  readonly signo: string;
  /** The exit code the launcher reports (default 1). */
  readonly code: number;

  /**
   * Creates the exit for `signo`.
   *
   * @param signo The signal's name.
   * @param code The exit code to report (an integer, default 1).
   * @throws {TypeError} When `code` is not a number.
   * @throws {RangeError} When `code` is a number but not an integer.
   */
  constructor(signo: string, code = 1) {
    checkNumber(code, "create SignalExit", "code", "an integer", Number.isInteger);
    super(`Exiting on ${signo} with code ${code}`);
    this.name = "SignalExit";
    this.signo = signo;
    this.code = code;
  }
}
