/**
 * The backend selector and the backend-neutral service toolkit: clocks, logging, signals,
 * task references.
 *
 * @example Selecting a backend and reading a component
 * ```ts
 * import { getComponent, initBackend, resetBackend } from "@fjord/fjord/backends";
 *
 * resetBackend();
 * initBackend("threading");
 * const SignalHandler = getComponent("SignalHandler");
 * new SignalHandler().clear();
 * resetBackend();
 * ```
 *
 * @module
 */

export * from "./backend.ts";
export * from "./errors.ts";
export * from "./registry.ts";
export * from "./cooperative.ts";
export * from "./threading.ts";
// Everything this entry point exported before the runtime/ and service/ folders existed.
export * from "../runtime/mod.ts";
export * from "../service/mod.ts";
