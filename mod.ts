/**
 * fjord: service lifecycles and launchers, looping calls and periodic tasks, signal handling,
 * locks, process execution and executors for Deno, behind one pluggable backend selector
 * (the Deno counterpart of oslo.service, oslo.concurrency and futurist).
 *
 * @example Selecting the backend once, early
 * ```ts
 * import { getBackend, initBackend, resetBackend } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * resetBackend();
 * initBackend("cooperative");
 * assert.equal(getBackend().type, "cooperative");
 * resetBackend();
 * ```
 *
 * @module
 */

export * from "./runtime/mod.ts";
export * from "./service/mod.ts";
export * from "./backends/mod.ts";
export * from "./config/mod.ts";
export * from "./lock/mod.ts";
export * from "./process/mod.ts";
export * from "./futures/mod.ts";
