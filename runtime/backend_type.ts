/**
 * The names of fjord's backends.
 *
 * @module
 */

/**
 * The backends fjord can run on: `"threading"` runs services, launcher workers and pool tasks in
 * Web Workers; `"cooperative"` runs them as async tasks on one event loop (child Deno processes
 * where a launcher needs OS processes).
 *
 * @example Selecting the threading backend
 * ```ts
 * import { BackendType } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * assert.equal(BackendType.THREADING, "threading");
 * ```
 */
export const BackendType: {
  readonly THREADING: "threading";
  readonly COOPERATIVE: "cooperative";
} = Object.freeze({ THREADING: "threading", COOPERATIVE: "cooperative" });

/**
 * The name of a backend: `"threading"` or `"cooperative"`.
 *
 * @example
 * ```ts
 * import { type BackendType, isBackendType } from "@fjord/fjord/runtime";
 * import assert from "node:assert/strict";
 *
 * const fromEnv: string = "threading";
 * const type: BackendType = isBackendType(fromEnv) ? fromEnv : "cooperative";
 * assert.equal(type, "threading");
 * ```
 */
export type BackendType = typeof BackendType[keyof typeof BackendType];

/**
 * The backend chosen when nothing else selects one: `"cooperative"`.
 *
 * @example
 * ```ts
 * import { DEFAULT_BACKEND_TYPE } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_BACKEND_TYPE, "cooperative");
 * ```
 */
export const DEFAULT_BACKEND_TYPE: BackendType = BackendType.COOPERATIVE;

/**
 * Whether `value` names a backend.
 *
 * @param value Any value.
 * @returns `true` for `"threading"` and `"cooperative"`.
 *
 * @example
 * ```ts
 * import { isBackendType } from "@fjord/fjord/runtime";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isBackendType("threading"));
 * assert.ok(!isBackendType("eventlet"));
 * ```
 */
export function isBackendType(value: unknown): value is BackendType {
  return value === BackendType.THREADING || value === BackendType.COOPERATIVE;
}
