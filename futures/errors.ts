/**
 * The errors executors and futures raise.
 *
 * @module
 */

/**
 * Rejects `result()` (and awaiting) of a future that was cancelled before it started.
 *
 * @example
 * ```ts
 * import { CancelledError } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new CancelledError().name, "CancelledError");
 * ```
 */
export class CancelledError extends Error {
  /**
   * Creates the error.
   *
   * @param message What was cancelled.
   */
  constructor(message = "The future was cancelled") {
    super(message);
    this.name = "CancelledError";
  }
}

/**
 * Thrown synchronously by `submit()` on an executor that has been shut down (futurist raises
 * `RuntimeError("Can not schedule new futures after being shutdown")`).
 *
 * @example
 * ```ts
 * import { ExecutorShutdownError, SynchronousExecutor } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * const ex = new SynchronousExecutor();
 * await ex.shutdown();
 * assert.throws(() => ex.submit(() => 1), ExecutorShutdownError);
 * ```
 */
export class ExecutorShutdownError extends Error {
  /**
   * Creates the error.
   *
   * @param message The reason.
   */
  constructor(message = "Cannot schedule new futures after being shut down") {
    super(message);
    this.name = "ExecutorShutdownError";
  }
}

/**
 * Thrown synchronously by `submit()` when the executor's `checkAndReject` refuses the work
 * (see {@linkcode rejectWhenReached}).
 *
 * @example
 * ```ts
 * import { RejectedSubmissionError } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * const err = new RejectedSubmissionError(2, 2);
 * assert.equal(err.message, "Current backlog 2 is not allowed to go beyond 2");
 * ```
 */
export class RejectedSubmissionError extends Error {
  /** Work queued and not yet started when the submission was refused. */
  readonly backlog: number;
  /** The largest backlog allowed. */
  readonly maxBacklog: number;

  /**
   * Creates the error from its facts.
   *
   * @param backlog Work queued and not yet started.
   * @param maxBacklog The largest backlog allowed.
   * @param message Overrides futurist's message.
   */
  constructor(backlog: number, maxBacklog: number, message?: string) {
    super(message ?? `Current backlog ${backlog} is not allowed to go beyond ${maxBacklog}`);
    this.name = "RejectedSubmissionError";
    this.backlog = backlog;
    this.maxBacklog = maxBacklog;
  }
}

/**
 * Fails the futures a pool worker (a Web Worker or a child process) was running when it died;
 * the pool replaces the worker and carries on.
 *
 * @example
 * ```ts
 * import { WorkerCrashedError } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * const err = new WorkerCrashedError("worker 1", "it called self.close()");
 * assert.match(err.message, /worker 1/);
 * ```
 */
export class WorkerCrashedError extends Error {
  /** Which pool worker died. */
  readonly worker: string;

  /**
   * Creates the error from its facts.
   *
   * @param worker Which pool worker died.
   * @param reason Why it died.
   * @param options `cause`: the error that killed it, when known.
   */
  constructor(worker: string, reason: string, options?: ErrorOptions) {
    super(`Pool ${worker} died: ${reason}`, options);
    this.name = "WorkerCrashedError";
    this.worker = worker;
  }
}
