/**
 * The errors of the coordination module.
 *
 * @module
 */

/**
 * A distributed lock (or leadership) is no longer held: its session lease was lost (keepalives
 * failed for longer than the TTL), or it was released. Thrown by `assertHeld()`.
 *
 * @example
 * ```ts
 * import { connect, LockLostError } from "@fjord/fjord/coord";
 * import assert from "node:assert/strict";
 *
 * await using coord = await connect("memory://lock-lost-example");
 * const held = await coord.lock("jobs");
 * await held.release();
 * assert.throws(() => held.assertHeld(), LockLostError);
 * ```
 */
export class LockLostError extends Error {
  /** The lock's (or group's) name. */
  readonly lockName: string;
  /** The fencing token the lost holding had. */
  readonly token: bigint;

  /**
   * Creates the error.
   *
   * @param lockName The lock's name.
   * @param token The lost holding's fencing token.
   * @param reason Why it was lost.
   */
  constructor(lockName: string, token: bigint, reason = "it is no longer held") {
    super(`Lock "${lockName}" (token ${token}) was lost: ${reason}`);
    this.name = "LockLostError";
    this.lockName = lockName;
    this.token = token;
  }
}

/**
 * The coordination server cannot be reached (at `connect()`), a call to it failed (its `cause` is
 * the driver's own error: a dropped or refused connection, an error reply), or the session with it
 * ended.
 *
 * @example
 * ```ts
 * import { connect, CoordinatorUnavailableError } from "@fjord/fjord/coord";
 * import assert from "node:assert/strict";
 *
 * const error = new CoordinatorUnavailableError("etcd://127.0.0.1:1", "connection refused");
 * assert.equal(error.url, "etcd://127.0.0.1:1");
 * assert.ok(error instanceof Error);
 * assert.equal(typeof connect, "function");
 * ```
 */
export class CoordinatorUnavailableError extends Error {
  /** The coordinator URL. */
  readonly url: string;

  /**
   * Creates the error.
   *
   * @param url The coordinator URL.
   * @param detail What failed.
   * @param options `cause`: the underlying error.
   */
  constructor(url: string, detail: string, options?: ErrorOptions) {
    super(`Coordinator ${url} is unavailable: ${detail}`, options);
    this.name = "CoordinatorUnavailableError";
    this.url = url;
  }
}
