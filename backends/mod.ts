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

export * from "./backend_type.ts";
export * from "./backend.ts";
export * from "./errors.ts";
export * from "./registry.ts";
export * from "./clock.ts";
export * from "./logger.ts";
export * from "./task_ref.ts";
export * from "./signal_handler.ts";
export * from "./looping_call.ts";
export * from "./retry.ts";
export * from "./thread_group.ts";
export * from "./periodic_task.ts";
export * from "./service.ts";
export * from "./service_ref.ts";
export * from "./signal_exit.ts";
export * from "./launcher.ts";
export * from "./service_launcher.ts";
export * from "./process_launcher.ts";
export * from "./launch.ts";
export * from "./systemd.ts";
export * from "./cooperative/backend.ts";
export * from "./threading/backend.ts";
