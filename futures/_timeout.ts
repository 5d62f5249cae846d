// The `timeout` option shared by Future.result()/exception(), the waiters and
// PeriodicWorker.wait(): what to reject with when it is invalid.

/** The RangeError for an invalid `timeout` (ms), or `undefined` when it is absent or valid. */
export function badTimeout(timeout: unknown, action: string): RangeError | undefined {
  if (timeout === undefined || (typeof timeout === "number" && timeout >= 0)) return undefined;
  return new RangeError(
    `Cannot ${action} as 'timeout' must be a number >= 0: current value is ${String(timeout)}`,
  );
}
