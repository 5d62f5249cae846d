// A Config's unconverted values, for snapshots: an option whose value fails to convert has no
// value to copy, so a snapshot carries what the option was read from instead, and the copy
// converts (and fails) it again. Config registers the accessors per instance here, so that
// _snapshot.ts needs no public method that would let anyone bypass setOverride()'s check.

/** Access to one Config's raw option values. */
export interface RawAccess {
  /**
   * The unconverted, unsubstituted value of the source that wins for the option now (override,
   * file, setDefault(), the option's default); `undefined` when none has one.
   */
  read(name: string, group: string): unknown;
  /**
   * Makes `raw` the option's override without checking it: it is substituted and converted
   * when read, and fails then as it did where it came from.
   */
  force(name: string, group: string, raw: unknown): void;
}

export const rawAccess: WeakMap<object, RawAccess> = new WeakMap();
