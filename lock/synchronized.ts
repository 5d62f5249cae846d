import { systemClock } from "../runtime/clock.ts";
import { getLogger } from "../runtime/logger.ts";
import { describeValue } from "../runtime/_describe.ts";
import { acquireLock, validateLockArgs } from "./_lock.ts";
import type { LockHandle, LockOptions } from "./lock.ts";
import { checkPrefix } from "./_lock_path.ts";
import { AcquireLockFailedError } from "./errors.ts";

/**
 * Wraps `fn` so that every call runs under {@linkcode lock}`(name, o)` (oslo's `synchronized`
 * decorator): same lock for every call, the result or error of `fn` passes through, and the
 * lock is released on every exit, thrown errors included. The lock directory (for `external`)
 * is resolved at each call. With `coordinator`, each call also holds the distributed lock; a
 * function that must pass the fencing token on uses {@linkcode lock} and its handle instead.
 *
 * Logs at debug level, like oslo: `Acquiring lock "x" by "f"`,
 * `Lock "x" acquired by "f" :: waited 0.000s`, `Lock "x" "released" by "f" :: held 0.000s`
 * (`"unacquired"` and `held N/A` when `blocking: false` failed).
 *
 * @typeParam A The wrapped function's parameters.
 * @typeParam R Its (awaited) result.
 * @param name The lock name.
 * @param fn The function to serialize; `this` is passed through.
 * @param o The options of {@linkcode lock}.
 * @returns An async function taking the lock around each call of `fn`.
 * @throws {TypeError} When `name`, `fn` or an option is invalid (at wrap time).
 * @throws {RangeError} When `timeout` is negative or NaN.
 *
 * @example
 * ```ts
 * import { synchronized } from "@fjord/fjord/lock";
 * import assert from "node:assert/strict";
 *
 * let next = 0;
 * const allocate = synchronized("ids", async (n: number) => {
 *   const first = next;
 *   await Promise.resolve();
 *   next = first + n;
 *   return first;
 * });
 * const got = await Promise.all([allocate(2), allocate(3)]);
 * assert.deepEqual(got, [0, 2]);
 * ```
 *
 * @example One call at a time across the fleet
 * ```ts
 * import { connect } from "@fjord/fjord/coord";
 * import { synchronized } from "@fjord/fjord/lock";
 * import assert from "node:assert/strict";
 *
 * await using coordinator = await connect("memory://synchronized-example");
 * let running = 0;
 * const migrate = synchronized("schema-migration", async () => {
 *   assert.equal(++running, 1);
 *   await new Promise((r) => setTimeout(r, 5));
 *   running--;
 * }, { coordinator });
 * await Promise.all([migrate(), migrate()]);
 * ```
 */
export function synchronized<A extends unknown[], R>(
  name: string,
  fn: (...a: A) => R | Promise<R>,
  o?: LockOptions,
): (...a: A) => Promise<R> {
  const opts: LockOptions = o ?? {};
  validateLockArgs(name, opts, "synchronize");
  if (typeof fn !== "function") {
    throw new TypeError(
      `Cannot synchronize as 'fn' must be a function: current value is ${describeValue(fn)}`,
    );
  }
  const fName = fn.name === "" ? "<anonymous>" : fn.name;
  const clock = opts.clock ?? systemClock;
  const wrapped = async function (this: unknown, ...a: A): Promise<R> {
    const log = getLogger();
    log.debug(`Acquiring lock "${name}" by "${fName}"`);
    const t0 = clock.now();
    let handle: LockHandle;
    try {
      handle = await acquireLock(name, opts, false);
    } catch (err) {
      if (err instanceof AcquireLockFailedError) {
        log.debug(`Lock "${name}" "unacquired" by "${fName}" :: held N/A`);
      }
      throw err;
    }
    const t1 = clock.now();
    log.debug(`Lock "${name}" acquired by "${fName}" :: waited ${secs(t1 - t0)}s`);
    try {
      return await fn.apply(this, a);
    } finally {
      await handle.release();
      log.debug(`Lock "${name}" "released" by "${fName}" :: held ${secs(clock.now() - t1)}s`);
    }
  };
  // functools.wraps, as oslo's decorator: the wrapper keeps the function's name and arity.
  Object.defineProperty(wrapped, "name", { value: fn.name, configurable: true });
  Object.defineProperty(wrapped, "length", { value: fn.length, configurable: true });
  return wrapped;
}

function secs(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/**
 * `synchronized` with a fixed `lockFilePrefix` (oslo's `synchronized_with_prefix`).
 *
 * @param prefix The lock file prefix.
 * @returns A `synchronized` function using that prefix unless the call names another.
 * @throws {TypeError} When `prefix` is not a string.
 *
 * @example
 * ```ts
 * import { synchronizedWithPrefix } from "@fjord/fjord/lock";
 * import assert from "node:assert/strict";
 *
 * const novaSynchronized = synchronizedWithPrefix("nova-");
 * const double = novaSynchronized("math", (x: number) => 2 * x);
 * assert.equal(await double(21), 42);
 * ```
 */
export function synchronizedWithPrefix(prefix: string): typeof synchronized {
  checkPrefix(prefix, "make a prefixed synchronized");
  return <A extends unknown[], R>(
    name: string,
    fn: (...a: A) => R | Promise<R>,
    o?: LockOptions,
  ): (...a: A) => Promise<R> =>
    synchronized(name, fn, { ...o, lockFilePrefix: o?.lockFilePrefix ?? prefix });
}
