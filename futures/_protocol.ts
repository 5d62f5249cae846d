// The messages between a pool (parent) and its Workers / child processes (carried by the isolate
// host). Both directions carry batches in flat arrays, so one structured clone (or one v8
// serialization) moves many tasks.

import type { SerializedError } from "../runtime/_error_transfer.ts";

/**
 * Parent → worker: run tasks. `b` = [id, moduleUrl, exportName, args, timed, id, ...]
 * ({@linkcode RUN_STRIDE} entries a task); `timed` is 1 when the parent times the task or may
 * abort it (a timeout or a signal), else 0.
 */
export interface RunMessage {
  t: "run";
  b: unknown[];
}

/** Worker → parent: results. `b` = [id, ok (1|0), value or SerializedError, id, ...]. */
export interface ResultMessage {
  t: "res";
  b: unknown[];
}

/** Worker → parent (made by the runner from the isolate's end): `running` were started and lost. */
export interface CrashMessage {
  t: "crash";
  running: number[];
  reason: string;
  error?: SerializedError;
}

/** Worker → parent: initialised, send tasks. */
export interface ReadyMessage {
  t: "ready";
}

/** How many entries of {@linkcode RunMessage}'s `b` make one task. */
export const RUN_STRIDE = 5;

export type ToWorker = RunMessage;
export type FromWorker = ResultMessage | CrashMessage | ReadyMessage;
