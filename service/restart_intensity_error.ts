/**
 * `RestartIntensityError`: a supervised worker died more often than its restart policy allows.
 *
 * @module
 */

/**
 * A worker of a {@linkcode ProcessLauncher} died more than `restart.maxRestarts` times within
 * `restart.window` ms (see {@linkcode RestartPolicy}). The launcher logs it, stops every other
 * worker, and its `wait()` resolves 2.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RestartIntensityError } from "@fjord/fjord";
 *
 * const err = new RestartIntensityError(0, 11, 60_000, "exited with status 1");
 * assert.equal(err.name, "RestartIntensityError");
 * assert.equal(err.workerId, 0);
 * assert.match(err.message, /worker 0 .*11 .*60000 ms.*exited with status 1/);
 * ```
 */
export class RestartIntensityError extends Error {
  /** The crash-looping worker's id. */
  readonly workerId: number;
  /** Restarts counted within the window, the one refused included. */
  readonly restarts: number;
  /** The intensity window, ms. */
  readonly window: number;
  /** How the worker ended the last time ("exited with status 1 (start() failed: ...)"). */
  readonly lastCause: string;

  /**
   * Creates the error; the launcher does, when it gives up on a worker.
   *
   * @param workerId The worker's id.
   * @param restarts Restarts within the window, the refused one included.
   * @param window The window, ms.
   * @param lastCause How the worker last ended.
   * @param options `service`: the service's name for the message.
   */
  constructor(
    workerId: number,
    restarts: number,
    window: number,
    lastCause: string,
    options: { service?: string } = {},
  ) {
    const of = options.service === undefined ? "" : ` of ${options.service}`;
    super(
      `Cannot keep worker ${workerId}${of} running as it needed ${restarts} restarts within ${window} ms (more than the restart policy allows); last cause: ${lastCause}`,
    );
    this.name = "RestartIntensityError";
    this.workerId = workerId;
    this.restarts = restarts;
    this.window = window;
    this.lastCause = lastCause;
  }
}
