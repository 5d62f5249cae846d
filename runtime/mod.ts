/**
 * The ground floor every other fjord folder may use and that uses none of them: the `Clock`
 * (`systemClock`, `FakeClock`), the logger, the backend type and its selection state, and module
 * references (`TaskRef`, `ServiceRef`) that name code another isolate imports.
 *
 * @example Stepping time with a FakeClock
 * ```ts
 * import { FakeClock } from "@fjord/fjord/runtime";
 * import assert from "node:assert/strict";
 *
 * using clock = new FakeClock();
 * let woke = false;
 * clock.sleep(100).then(() => woke = true);
 * await clock.tickAsync(100);
 * assert.ok(woke);
 * ```
 *
 * @module
 */

export * from "./backend_type.ts";
export { getBackendType, registerBackendDefaultHook } from "./selection.ts";
export * from "./clock.ts";
export * from "./logger.ts";
export * from "./task_ref.ts";
export * from "./service_ref.ts";
export type { RestartPolicy } from "./restart_policy.ts";
