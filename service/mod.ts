/**
 * Services and what runs them: `Service`, `Services`, the launchers (`Launcher`,
 * `ServiceLauncher`, `ProcessLauncher`, `launch`), signal handling, systemd notification, looping
 * calls, `RetryDecorator`, `ThreadGroup` and periodic tasks.
 *
 * @example A looping call driven by a FakeClock
 * ```ts
 * import { FixedIntervalLoopingCall } from "@fjord/fjord/service";
 * import { FakeClock } from "@fjord/fjord/runtime";
 * import assert from "node:assert/strict";
 *
 * using clock = new FakeClock();
 * let calls = 0;
 * const loop = new FixedIntervalLoopingCall(() => {
 *   calls++;
 * }, { clock }).start({ interval: 10 });
 * await clock.tickAsync(25);
 * loop.stop();
 * await clock.tickAsync(0);
 * assert.equal(await loop.wait(), true);
 * assert.equal(calls, 3);
 * ```
 *
 * @module
 */

export * from "./signal_handler.ts";
export * from "./looping_call.ts";
export * from "./looping_call_errors.ts";
export * from "./retry.ts";
export * from "./thread_group.ts";
export * from "./periodic_task.ts";
export * from "./service.ts";
export * from "./signal_exit.ts";
export * from "./launcher.ts";
export * from "./service_launcher.ts";
export * from "./process_launcher.ts";
export * from "./restart_intensity_error.ts";
export * from "./launch.ts";
export * from "./systemd.ts";
export { currentWorker, type WorkerContext } from "./current_worker.ts";
