// How every folder checks a number option, on the ground floor so they all say it the same way: a
// value that is no number at all (the string "2" from an environment variable, a bigint, null) is
// a TypeError, a number outside the rule (NaN, Infinity, -1, 1.5 where an integer is needed) a
// RangeError, and both describe the value by its type ("string 2", "number NaN").

import { describeValue } from "./_describe.ts";

/**
 * The error for a number option `value` unless it is a number for which `ok` holds: a TypeError
 * when it is not a number, a RangeError when `ok` refuses it. Both read
 * `Cannot <what> as '<name>' must be <rule>: current value is <description>`.
 *
 * @returns undefined when `value` is fine (for callers that reject rather than throw).
 */
export function numberError(
  value: unknown,
  what: string,
  name: string,
  rule: string,
  ok: (n: number) => boolean,
): TypeError | RangeError | undefined {
  if (typeof value === "number" && ok(value)) return undefined;
  return new (typeof value === "number" ? RangeError : TypeError)(
    `Cannot ${what} as '${name}' must be ${rule}: current value is ${describeValue(value)}`,
  );
}

/**
 * Throws {@linkcode numberError}'s error unless `value` is a number for which `ok` holds.
 *
 * @returns `value`, as a number.
 */
export function checkNumber(
  value: unknown,
  what: string,
  name: string,
  rule: string,
  ok: (n: number) => boolean,
): number {
  const error = numberError(value, what, name, rule, ok);
  if (error !== undefined) throw error;
  return value as number;
}
