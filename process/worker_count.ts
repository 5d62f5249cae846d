/**
 * {@linkcode getWorkerCount}: how many workers a pool should start by default.
 *
 * @module
 */

/**
 * The number of CPUs available to this process (oslo's `get_worker_count()`), or 1 when the
 * runtime cannot tell. Needs no permission.
 *
 * @returns The CPU count, at least 1.
 *
 * @example
 * ```ts
 * import { getWorkerCount } from "@fjord/fjord/process";
 * import assert from "node:assert/strict";
 *
 * assert.ok(getWorkerCount() >= 1);
 * ```
 */
export function getWorkerCount(): number {
  const n = globalThis.navigator?.hardwareConcurrency;
  return typeof n === "number" && Number.isInteger(n) && n >= 1 ? n : 1;
}
