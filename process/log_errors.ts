/**
 * {@linkcode LogErrors}: which failed attempts {@linkcode execute} dumps to the log.
 *
 * @module
 */

/**
 * Which failed attempts {@linkcode execute} logs in full (description, command, exit code,
 * stdout, stderr — masked): `DEFAULT` none, `ALL` every failed attempt, `FINAL` only the last
 * one (the one whose error is raised).
 *
 * @example
 * ```ts
 * import { LogErrors } from "@fjord/fjord/process";
 * import assert from "node:assert/strict";
 *
 * assert.equal(LogErrors.FINAL, 2);
 * ```
 */
export const LogErrors: { readonly DEFAULT: 0; readonly ALL: 1; readonly FINAL: 2 } = Object
  .freeze({ DEFAULT: 0, ALL: 1, FINAL: 2 } as const);

/**
 * One of the {@linkcode LogErrors} values: `0 | 1 | 2`.
 *
 * @example
 * ```ts
 * import { LogErrors } from "@fjord/fjord/process";
 * import assert from "node:assert/strict";
 *
 * const level: LogErrors = LogErrors.ALL;
 * assert.equal(level, 1);
 * ```
 */
export type LogErrors = typeof LogErrors[keyof typeof LogErrors];
