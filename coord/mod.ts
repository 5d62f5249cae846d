/**
 * Coordination across machines: fenced distributed locks, group membership with push-based
 * watches, leader election and exactly-one-member periodic tasks, on etcd (linearizable), a
 * single Redis (best-effort) or an in-process `memory://` space for tests.
 *
 * @example
 * ```ts
 * import { connect } from "@fjord/fjord/coord";
 * import assert from "node:assert/strict";
 *
 * await using coord = await connect("memory://mod-example", { memberId: "node-1" });
 * await using held = await coord.lock("nightly-report");
 * held.assertHeld();
 * assert.equal(typeof held.token, "bigint");
 * ```
 *
 * @module
 */

export type { Clock, SleepOptions } from "../runtime/clock.ts";
export * from "./errors.ts";
export * from "./coordinator.ts";
export * from "./run_exclusive_periodic.ts";
