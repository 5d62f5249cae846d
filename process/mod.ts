/**
 * Process execution for Deno, after oslo.concurrency's `processutils`: {@linkcode execute} with
 * exit-code checks, retries, timeouts that kill the whole process group, resource limits and
 * secret masking; {@linkcode sshExecute} over the system `ssh` client; {@linkcode trycmd};
 * {@linkcode maskPassword}; {@linkcode getWorkerCount}.
 *
 * @example
 * ```ts
 * import { execute, maskPassword } from "@fjord/fjord/process";
 * import assert from "node:assert/strict";
 *
 * const { stdout } = await execute(["sh", "-c", "echo $0", "hi"], { timeout: 5000 });
 * assert.equal(stdout, "hi\n");
 * assert.equal(maskPassword("--password hunter2"), "--password ***");
 * ```
 *
 * @module
 */

// Re-exported so the `clock` option's type is documented with this entry point.
export type { Clock, SleepOptions } from "../runtime/clock.ts";
export * from "./errors.ts";
export * from "./execute.ts";
export * from "./log_errors.ts";
export * from "./mask_password.ts";
export * from "./process_limits.ts";
export * from "./ssh_execute.ts";
export * from "./trycmd.ts";
export * from "./worker_count.ts";
