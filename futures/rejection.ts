/**
 * Back-pressure for pool executors: `checkAndReject` callbacks and {@linkcode rejectWhenReached}.
 *
 * @module
 */

import { RejectedSubmissionError } from "./errors.ts";
import type { Executor } from "./executor.ts";
import { checkNumber } from "../runtime/_check_number.ts";

/**
 * Called by `submit()` before work is queued, with the executor and its backlog (work queued and
 * not yet started, before this submission). Throw (normally a {@linkcode RejectedSubmissionError})
 * to refuse the submission: `submit()` rethrows it synchronously.
 *
 * @example Allowing at most one queued item
 * ```ts
 * import { AsyncPoolExecutor, RejectedSubmissionError, type RejectFn } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * const atMostOneQueued: RejectFn = (_executor, backlog) => {
 *   if (backlog >= 1) throw new RejectedSubmissionError(backlog, 1, "busy, try later");
 * };
 * await using ex = new AsyncPoolExecutor({ maxWorkers: 1, checkAndReject: atMostOneQueued });
 * const { promise, resolve } = Promise.withResolvers<void>();
 * const running = ex.submit(() => promise);
 * const queued = ex.submit(() => "queued");
 * assert.throws(() => ex.submit(() => "refused"), { message: "busy, try later" });
 * resolve();
 * await running;
 * assert.equal(await queued, "queued");
 * ```
 */
export type RejectFn = (executor: Executor, backlog: number) => void;

/**
 * futurist's `reject_when_reached`: refuses a submission once `backlog >= maxBacklog`, so at most
 * `maxBacklog` items wait (running ones are not counted).
 *
 * @param maxBacklog The largest number of queued items (>= 0).
 * @returns A {@linkcode RejectFn} for a pool's `checkAndReject` option.
 * @throws {TypeError} When `maxBacklog` is not a number.
 * @throws {RangeError} When `maxBacklog` is negative or not an integer.
 *
 * @example
 * ```ts
 * import { AsyncPoolExecutor, RejectedSubmissionError, rejectWhenReached } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * await using ex = new AsyncPoolExecutor({ maxWorkers: 1, checkAndReject: rejectWhenReached(1) });
 * const { promise, resolve } = Promise.withResolvers<void>();
 * const running = ex.submit(() => promise);
 * const queued = ex.submit(() => 2);
 * assert.throws(() => ex.submit(() => 3), RejectedSubmissionError);
 * resolve();
 * await running;
 * assert.equal(await queued, 2);
 * ```
 */
export function rejectWhenReached(maxBacklog: number): RejectFn {
  checkNumber(
    maxBacklog,
    "create rejecter",
    "maxBacklog",
    "an integer >= 0",
    (n) => Number.isInteger(n) && n >= 0,
  );
  return (_executor: Executor, backlog: number): void => {
    if (backlog >= maxBacklog) throw new RejectedSubmissionError(backlog, maxBacklog);
  };
}
