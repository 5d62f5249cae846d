/**
 * Raised by `lock()` / `synchronized()` with `blocking: false` when the lock is held elsewhere
 * (oslo's `AcquireLockFailedException`).
 *
 * @example
 * ```ts
 * import { AcquireLockFailedError, lock } from "@fjord/fjord/lock";
 * import assert from "node:assert/strict";
 *
 * await using _held = await lock("busy");
 * await assert.rejects(lock("busy", { blocking: false }), AcquireLockFailedError);
 * ```
 */
export class AcquireLockFailedError extends Error {
  /** The name of the lock that could not be acquired. */
  readonly lockName: string;

  /**
   * Creates the error for lock `lockName`.
   *
   * @param lockName The lock's name.
   * @param options Standard error options (`cause`).
   */
  constructor(lockName: string, options?: ErrorOptions) {
    super(`Failed to acquire the lock ${lockName}`, options);
    this.name = "AcquireLockFailedError";
    this.lockName = lockName;
  }
}

/**
 * Raised when an external lock needs a directory and none is configured (oslo's
 * `RequiredOptError('lock_path', 'oslo_concurrency')`): set `lockPath`, `[oslo_concurrency]
 * lock_path`, `setDefaults()`, `FJORD_LOCK_PATH` or `OSLO_LOCK_PATH`. Raised before anything is
 * held.
 *
 * @example
 * ```ts
 * import { LockPathRequiredError } from "@fjord/fjord/lock";
 * import assert from "node:assert/strict";
 *
 * const err = new LockPathRequiredError();
 * assert.equal(err.message, "value required for option lock_path in group [oslo_concurrency]");
 * ```
 */
export class LockPathRequiredError extends Error {
  /** The missing option: `"lock_path"`. */
  readonly option: string = "lock_path";
  /** Its group: `"oslo_concurrency"`. */
  readonly group: string = "oslo_concurrency";

  /**
   * Creates the error.
   *
   * @param options Standard error options (`cause`).
   */
  constructor(options?: ErrorOptions) {
    super("value required for option lock_path in group [oslo_concurrency]", options);
    this.name = "LockPathRequiredError";
  }
}
