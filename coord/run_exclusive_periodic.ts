/**
 * Periodic work that runs on exactly one member of a fleet per tick.
 *
 * @module
 */

import { getLogger } from "../runtime/logger.ts";
import { checkNumber } from "../runtime/_check_number.ts";
import { describeValue } from "../runtime/_describe.ts";
import { abortPromise } from "./_abort.ts";
import { MIN_INTERVAL_MS } from "./_min_interval.ts";
import { checkCallOptions, checkWellFormed, claimTick, CoordinatorImpl } from "./_coordinator.ts";
import type { Coordinator } from "./coordinator.ts";

/**
 * One claimed tick of an exclusive periodic task, from {@linkcode claimExclusiveTick}.
 *
 * @example
 * ```ts
 * import { claimExclusiveTick, connect, type ExclusiveTick } from "@fjord/fjord/coord";
 * import assert from "node:assert/strict";
 *
 * await using coord = await connect("memory://exclusive-tick-example");
 * const tick: ExclusiveTick | undefined = await claimExclusiveTick(coord, "report", 60_000, {
 *   index: 42,
 * });
 * assert.equal(tick?.index, 42);
 * assert.equal(typeof tick?.token, "bigint");
 * assert.ok(!tick?.signal.aborted);
 * ```
 */
export interface ExclusiveTick {
  /** The tick's number: `floor(time / interval)` on the wall clock (`Date.now()`). */
  readonly index: number;
  /**
   * The tick's fencing token: strictly increasing per task name across the fleet, and with the
   * tick index (a tick claimed after a later one was is not handed out).
   */
  readonly token: bigint;
  /** Aborts when the claiming coordinator's session is lost or it closes (or `signal` aborts). */
  readonly signal: AbortSignal;
}

/**
 * Options for {@linkcode claimExclusiveTick}.
 *
 * @example
 * ```ts
 * import { claimExclusiveTick, type ClaimTickOptions, connect } from "@fjord/fjord/coord";
 * import assert from "node:assert/strict";
 *
 * await using coord = await connect("memory://claim-options-example");
 * const options: ClaimTickOptions = { index: 7 };
 * assert.equal((await claimExclusiveTick(coord, "sweep", 1_000, options))?.index, 7);
 * ```
 */
export interface ClaimTickOptions {
  /** The tick to claim. Default: the current one, `Math.floor(Date.now() / interval)`. */
  index?: number;
  /** Also aborts the tick's `signal`. */
  signal?: AbortSignal;
}

// The one check of both entry points, so they accept exactly the same intervals.
function checkArgs(
  coord: Coordinator,
  name: string,
  interval: number,
  action: string,
): CoordinatorImpl {
  if (!(coord instanceof CoordinatorImpl)) {
    throw new TypeError(
      `Cannot ${action} "${String(name)}" as 'coord' must come from connect(): current value is ${
        describeValue(coord)
      }`,
    );
  }
  if (typeof name !== "string" || name === "") {
    throw new TypeError(
      `Cannot ${action} a periodic task as 'name' must be a non-empty string: current value is ${
        describeValue(name)
      }`,
    );
  }
  checkWellFormed(name, "name", `${action} a periodic task`);
  checkNumber(
    interval,
    `${action} "${name}"`,
    "interval",
    `a finite number of ms, at least ${MIN_INTERVAL_MS} ms`,
    (n) => Number.isFinite(n) && n >= MIN_INTERVAL_MS,
  );
  return coord;
}

// Throws at once when the coordinator is closed (see Coordinator's calls).
function claim(
  coord: CoordinatorImpl,
  name: string,
  index: number,
  signal?: AbortSignal,
): Promise<ExclusiveTick | undefined> {
  return coord[claimTick](name, index).then((token) => {
    // `lostSignal` runs the local TTL check: a member frozen past its TTL skips the tick.
    const lost = coord.lostSignal;
    if (token === undefined || lost.aborted || signal?.aborted) return undefined;
    return { index, token, signal: signal ? AbortSignal.any([lost, signal]) : lost };
  });
}

/**
 * Claims one tick of the periodic task `name` for this member: of all the members that claim
 * the same tick (same engine, `name` and index), exactly one gets it. This is the step
 * {@linkcode runExclusivePeriodic} and `periodicTask({ exclusive })` take at every tick; use it
 * to make any scheduler's run exclusive (e.g. inside a `PeriodicWorker` callback). Members
 * whose wall clocks agree within an interval number ticks alike.
 *
 * @param coord A coordinator from `connect()`.
 * @param name The task's name, shared by the fleet.
 * @param interval The period in ms that numbers the ticks: at least 0.001 (see `@throws`).
 * @param o `index` (default: the current tick), `signal`.
 * @returns The tick, or `undefined` when another member claimed it first, when a later tick
 *   was already claimed (a stale tick runs nowhere, so tokens increase with the ticks), or when
 *   this member's session was found lost.
 * @throws {TypeError} When `coord` is not from `connect()`, `name` is empty, `o` is not an object,
 *   `signal` not an AbortSignal, or `interval` or `index` not a number.
 * @throws {RangeError} When `interval` is not a finite number of at least 0.001 ms (a shorter
 *   one numbers the ticks, `Date.now() / interval`, beyond 2^53, where consecutive numbers are
 *   no longer exact; runExclusivePeriodic() refuses the same intervals), or `index` is not an
 *   integer.
 * @throws {CoordinatorUnavailableError} When the coordinator is closed or has lost its session
 *   (at the call), or cannot reach the engine (through the promise).
 *
 * @example
 * ```ts
 * import { claimExclusiveTick, connect } from "@fjord/fjord/coord";
 * import assert from "node:assert/strict";
 *
 * await using a = await connect("memory://claim-example");
 * await using b = await connect("memory://claim-example");
 * const index = Math.floor(Date.now() / 1_000);
 * const [x, y] = await Promise.all([
 *   claimExclusiveTick(a, "sweep", 1_000, { index }),
 *   claimExclusiveTick(b, "sweep", 1_000, { index }),
 * ]);
 * assert.equal([x, y].filter((t) => t !== undefined).length, 1); // one member runs it
 * ```
 */
export function claimExclusiveTick(
  coord: Coordinator,
  name: string,
  interval: number,
  o: ClaimTickOptions = {},
): Promise<ExclusiveTick | undefined> {
  const c = checkArgs(coord, name, interval, "claim a tick of");
  checkCallOptions(o, `claim a tick of "${name}"`);
  const { index = Math.floor(Date.now() / interval), signal } = o;
  checkNumber(index, `claim a tick of "${name}"`, "index", "an integer", Number.isSafeInteger);
  return claim(c, name, index, signal);
}

/**
 * Runs `fn` every `interval` ms on exactly one of the members that call this with the same
 * coordinator engine and `name`. Ticks are numbered from the wall clock (`Date.now() / interval`),
 * so members whose clocks agree within an interval share them; every member tries to claim each
 * tick by creating its key, and only the one that created it runs `fn`, with the tick's fencing
 * token (strictly increasing per `name`) and a signal that aborts when the session is lost.
 * While `fn` runs, this member claims no tick; the other members claim the ticks that fall
 * meanwhile, on time, so an `fn` that outlasts its interval may overlap the next tick's run on
 * another member (its fencing token is higher). No tick runs late. Errors thrown by `fn` are
 * logged and the schedule goes on.
 *
 * @param coord A coordinator from `connect()`.
 * @param name The task's name, shared by the fleet.
 * @param interval The period in ms: at least 0.001 (see `@throws`).
 * @param fn The tick's work; gets `{ token, signal }`.
 * @param o `signal` stops the schedule.
 * @returns A promise that resolves when `signal` aborts or the coordinator closes or loses its
 *   session.
 * @throws {TypeError} When `coord` is not from `connect()`, `name` is empty, `fn` is not a
 *   function, `o` is not an object, `signal` not an AbortSignal, or `interval` not a number.
 * @throws {RangeError} When `interval` is not a finite number of at least 0.001 ms: a shorter
 *   one numbers the ticks, `Date.now() / interval`, beyond 2^53, where consecutive numbers are
 *   no longer exact (claimExclusiveTick() refuses the same intervals).
 *
 * @example
 * ```ts
 * import { connect, runExclusivePeriodic } from "@fjord/fjord/coord";
 * import assert from "node:assert/strict";
 *
 * await using a = await connect("memory://periodic-example");
 * await using b = await connect("memory://periodic-example");
 * const controller = new AbortController();
 * const tokens: bigint[] = [];
 * const fn = ({ token }: { token: bigint }) => {
 *   tokens.push(token);
 *   if (tokens.length === 3) controller.abort();
 * };
 * const { signal } = controller;
 * await Promise.all([
 *   runExclusivePeriodic(a, "cleanup", 20, fn, { signal }),
 *   runExclusivePeriodic(b, "cleanup", 20, fn, { signal }),
 * ]);
 * assert.equal(tokens.length, 3); // one run per tick across both members
 * assert.ok(tokens[0]! < tokens[1]! && tokens[1]! < tokens[2]!);
 * ```
 */
export function runExclusivePeriodic(
  coord: Coordinator,
  name: string,
  interval: number,
  fn: (ctx: { token: bigint; signal: AbortSignal }) => unknown,
  o: { signal?: AbortSignal } = {},
): Promise<void> {
  const c = checkArgs(coord, name, interval, "run");
  if (typeof fn !== "function") {
    throw new TypeError(
      `Cannot run "${name}" as 'fn' must be a function: current value is ${describeValue(fn)}`,
    );
  }
  checkCallOptions(o, `run "${name}"`);
  return runTicks(c, name, interval, fn, o.signal);
}

async function runTicks(
  c: CoordinatorImpl,
  name: string,
  interval: number,
  fn: (ctx: { token: bigint; signal: AbortSignal }) => unknown,
  signal: AbortSignal | undefined,
): Promise<void> {
  const stops = [c.lostSignal];
  if (signal) stops.push(signal);
  const stop = AbortSignal.any(stops);
  const stopped = abortPromise(stop);
  try {
    while (!stop.aborted) {
      const index = Math.floor(Date.now() / interval) + 1;
      try {
        // setTimeout fires at once for a delay above 2^31 - 1 ms (~24.8 days): a longer wait is
        // slept in parts, or the tick would be claimed early and then again in a busy loop.
        let wait = index * interval - Date.now();
        do {
          await sleep(Math.min(Math.max(0, wait), MAX_TIMER_DELAY), stopped.promise);
          wait = index * interval - Date.now();
        } while (wait > 0);
      } catch {
        return;
      }
      let tick: ExclusiveTick | undefined;
      try {
        // A claim hanging on an unresponsive server does not hold up the stop; its request is
        // the coordinator's (ended by its close()), and a tick it wins late is not run.
        const claiming = claim(c, name, index);
        claiming.catch(() => {});
        tick = await Promise.race([claiming, stopped.promise]);
      } catch (error) {
        if (stop.aborted) return;
        getLogger().warning(
          `Periodic task "${name}" could not claim tick ${index}: ${String(error)}`,
        );
        continue;
      }
      if (tick === undefined || stop.aborted) continue;
      try {
        await fn({ token: tick.token, signal: stop });
      } catch (error) {
        // A detail, not String(error): a thrown value without a string form (a null-prototype
        // object, a throwing toString) made the log line throw and ended the schedule.
        getLogger().error(`Periodic task "${name}" tick ${index} failed`, error);
      }
    }
  } finally {
    stopped.detach();
  }
}

// The longest delay setTimeout keeps (a longer one is clamped to 1 ms).
const MAX_TIMER_DELAY = 2 ** 31 - 1;

// Sleeps `ms`, or rejects as soon as `stopped` does (the timer is cleared either way).
async function sleep(ms: number, stopped: Promise<never>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([new Promise((r) => timer = setTimeout(r, ms)), stopped]);
  } finally {
    clearTimeout(timer);
  }
}
