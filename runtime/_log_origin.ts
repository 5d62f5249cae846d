// Makes the LogOrigin a launcher attaches to each record forwarded from a worker.

import type { LogOrigin } from "./logger.ts";

const ORIGIN = Symbol.for("fjord.logOrigin");

/** Marks `fields` as a LogOrigin (isLogOrigin() then recognizes it). */
export function makeLogOrigin(fields: LogOrigin): LogOrigin {
  return Object.defineProperty({ ...fields }, ORIGIN, { value: true });
}
