/**
 * {@linkcode trycmd}: {@linkcode execute} that reports failure through `stderr`.
 *
 * @module
 */

import { ProcessExecutionError } from "./errors.ts";
import { execute, type ExecuteOptions, type ExecuteResult } from "./execute.ts";

/**
 * Options for {@linkcode trycmd}: those of {@linkcode execute}, plus `discardWarnings`.
 *
 * @example
 * ```ts
 * import { trycmd, type TrycmdOptions } from "@fjord/fjord/process";
 * import assert from "node:assert/strict";
 *
 * const options: TrycmdOptions = { discardWarnings: true };
 * const { stdout, stderr } = await trycmd(["sh", "-c", "echo deprecated >&2; echo ok"], options);
 * assert.equal(stdout, "ok\n");
 * assert.equal(stderr, "");
 * ```
 */
export interface TrycmdOptions extends ExecuteOptions {
  /** Clear `stderr` when the command succeeded (so a non-empty `stderr` always means failure). */
  discardWarnings?: boolean;
}

/**
 * Runs a command like {@linkcode execute}, but a {@linkcode ProcessExecutionError} resolves as
 * `{ stdout: "", stderr: err.message }` instead of rejecting (oslo's `trycmd`): a non-empty
 * `stderr` means failure. Other errors (timeout, abort, permission) still reject. Always resolves
 * with strings, so `binary: true` is refused.
 *
 * @param cmd The program and its arguments, or one program name / shell script string.
 * @param options {@linkcode execute}'s options and `discardWarnings`.
 * @returns The output, or `""` and the error's message.
 * @throws {TypeError} For the bad arguments {@linkcode execute} refuses, or `binary: true`.
 * @throws {RangeError} For the out-of-range arguments {@linkcode execute} refuses.
 *
 * @example
 * ```ts
 * import { trycmd } from "@fjord/fjord/process";
 * import assert from "node:assert/strict";
 *
 * const { stdout, stderr } = await trycmd("exit 4", { shell: true });
 * assert.equal(stdout, "");
 * assert.match(stderr, /^Exit code: 4$/m);
 * ```
 */
export function trycmd(
  cmd: string | string[],
  options: TrycmdOptions = {},
): Promise<ExecuteResult> {
  const { discardWarnings = false, ...rest } = options;
  if (rest.binary === true) {
    throw new TypeError("Cannot run trycmd as 'binary' must not be true: trycmd returns strings");
  }
  const running = execute(cmd, { ...rest, binary: false });
  return running.then(
    ({ stdout, stderr }) => ({ stdout, stderr: discardWarnings ? "" : stderr }),
    (err: unknown) => {
      if (err instanceof ProcessExecutionError) return { stdout: "", stderr: err.message };
      throw err;
    },
  );
}
