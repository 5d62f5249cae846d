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
 * Facts about how a pool worker ended, for {@linkcode WorkerCrashedError}.
 *
 * @example
 * ```ts
 * import { WorkerCrashedError, type WorkerExitInfo } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * const info: WorkerExitInfo = { signal: "SIGKILL" };
 * assert.equal(new WorkerCrashedError("process 1", "it was killed", info).signal, "SIGKILL");
 * ```
 */
export interface WorkerExitInfo extends ErrorOptions {
  /** The exit code, when the worker exited with one. */
  exitCode?: number | undefined;
  /** The signal that killed a child process (e.g. `"SIGKILL"`). */
  signal?: string | undefined;
}

/**
 * Fails the futures a pool worker (a Web Worker or a child process) was running when it died;
 * the pool replaces the worker and carries on. Only the task(s) running on the worker fail:
 * tasks it had been sent but not started go to another worker.
 *
 * @example
 * ```ts
 * import { WorkerCrashedError } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * const err = new WorkerCrashedError("worker 1", "it called self.close()");
 * assert.match(err.message, /worker 1/);
 * assert.equal(err.exitCode, undefined);
 * ```
 */
export class WorkerCrashedError extends Error {
  /** Which pool worker died (`"worker 3"`, `"process 2"`). */
  readonly worker: string;
  /** Its exit code, when it exited with one (`Deno.exit(n)`, a child's status). */
  readonly exitCode: number | undefined;
  /** The signal that killed a child process, e.g. `"SIGKILL"`. */
  readonly signal: string | undefined;

  /**
   * Creates the error from its facts.
   *
   * @param worker Which pool worker died.
   * @param reason Why it died.
   * @param info `exitCode`, `signal`, and `cause` (the error that killed it), when known.
   */
  constructor(worker: string, reason: string, info: WorkerExitInfo = {}) {
    const { exitCode, signal, ...options } = info;
    super(`Pool ${worker} died: ${reason}`, options);
    this.name = "WorkerCrashedError";
    this.worker = worker;
    this.exitCode = exitCode;
    this.signal = signal;
  }
}

/**
 * The pool could not keep its workers alive: they kept dying (beyond the pool's `restart`
 * policy), including before they were ready. A broken pool rejects its pending work and every
 * later submission with this error; `shutdown()` still resolves. `stderr` holds the last few KB
 * a dying child process wrote to its stderr (a Web Worker pool has none).
 *
 * @example
 * ```ts
 * import { BrokenExecutorError } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * const err = new BrokenExecutorError("process 4 exited with code 1", "error: bad flag");
 * assert.equal(err.stderr, "error: bad flag");
 * assert.match(err.message, /process 4 exited/);
 * ```
 */
export class BrokenExecutorError extends Error {
  /** The tail of the last dead child's stderr, when there is one. */
  readonly stderr: string | undefined;

  /**
   * Creates the error from its facts.
   *
   * @param reason Why the pool gave up (the last death).
   * @param stderr The last child's stderr tail.
   * @param options `cause`: the last worker's error.
   */
  constructor(reason: string, stderr?: string, options?: ErrorOptions) {
    super(`The pool is broken: its workers keep dying; the last ${reason}`, options);
    this.name = "BrokenExecutorError";
    this.stderr = stderr;
  }
}
