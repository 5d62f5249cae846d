// The checks every folder's options share, on the ground floor so their errors read alike
// everywhere: an options object that is not one, a flag that is not a boolean ("false" from an
// environment variable must not turn a flag on).

import { describeValue } from "./_describe.ts";

/** Throws a TypeError naming `parameter` unless `value` is undefined or an object. */
export function checkOptionsObject(value: unknown, what: string, parameter = "options"): void {
  if (value !== undefined && (value === null || typeof value !== "object")) {
    throw new TypeError(
      `Cannot ${what} as '${parameter}' must be an object: current value is ${
        describeValue(value)
      }`,
    );
  }
}

/**
 * Throws a TypeError naming `name` unless `value` is undefined or a boolean.
 *
 * @returns `value`, for `checkBooleanOption(o.flag, what, "flag") ?? fallback`.
 */
export function checkBooleanOption(
  value: unknown,
  what: string,
  name: string,
): boolean | undefined {
  if (value !== undefined && typeof value !== "boolean") {
    throw new TypeError(
      `Cannot ${what} as '${name}' must be a boolean: current value is ${describeValue(value)}`,
    );
  }
  return value;
}
