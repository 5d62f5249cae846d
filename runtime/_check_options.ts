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

// The TypeError for a `signal` option that is not an AbortSignal, naming `name`; `undefined` when
// `value` is undefined or an AbortSignal.
function signalError(value: unknown, what: string, name: string): TypeError | undefined {
  if (value === undefined || value instanceof AbortSignal) return undefined;
  return new TypeError(
    `Cannot ${what} as '${name}' must be an AbortSignal: current value is ${describeValue(value)}`,
  );
}

/**
 * Throws a TypeError naming `name` unless `value` is undefined or an AbortSignal.
 * Checked before anything is queued: a waiter queued with a non-signal could never be woken nor
 * removed, and its lock would stay taken.
 */
export function checkSignalOption(
  value: unknown,
  what: string,
  name = "signal",
): asserts value is AbortSignal | undefined {
  const error = signalError(value, what, name);
  if (error !== undefined) throw error;
}

/**
 * Throws a TypeError (its cause the clone's error) unless `value` can be structured-cloned, as
 * posting it to a Web Worker does: "Cannot `what` as `subject` cannot be sent to a Web Worker".
 */
export function checkWorkerCloneable(value: unknown, what: string, subject: string): void {
  try {
    structuredClone(value);
  } catch (cause) {
    throw new TypeError(
      `Cannot ${what} as ${subject} cannot be sent to a Web Worker (they must be structured-cloneable)`,
      { cause },
    );
  }
}

/**
 * Throws a TypeError naming `name` unless `value` is undefined or shaped like a config/ `Config`
 * (`registerOpts()` and `get()`): checked by shape, as runtime/ imports no feature folder. A value
 * without them failed later, inside a lock or a periodic run, with a message naming neither.
 */
export function checkConfigOption(value: unknown, what: string, name = "conf"): void {
  if (value === undefined) return;
  const shape = value as { registerOpts?: unknown; get?: unknown } | null;
  if (
    shape === null || typeof shape !== "object" || typeof shape.registerOpts !== "function" ||
    typeof shape.get !== "function"
  ) {
    throw new TypeError(
      `Cannot ${what} as '${name}' must be a Config: current value is ${describeValue(value)}`,
    );
  }
}

/**
 * Throws a TypeError naming the first own key of `value` that `known` lacks. For the options
 * objects where a misspelt key (`maxRestart`, `worker`, `host`) would silently keep a default
 * that decides how a service runs or gives up.
 */
export function checkKnownKeys(
  value: object,
  what: string,
  name: string,
  known: readonly string[],
): void {
  const unknown = Object.keys(value).find((k) => !known.includes(k));
  if (unknown !== undefined) {
    throw new TypeError(
      `Cannot ${what} as '${name}' has the unknown field '${unknown}' (known: ${known.join(", ")})`,
    );
  }
}
