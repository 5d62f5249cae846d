/**
 * Periodic work that runs on exactly one member of a fleet per tick.
 *
 * @module
 */

import { getLogger } from "../runtime/logger.ts";
import { claimTick, CoordinatorImpl } from "./_coordinator.ts";
import type { Coordinator } from "./coordinator.ts";

/**
 * Runs `fn` every `interval` ms on exactly one of the members that call this with the same
 * coordinator engine and `name`. Ticks are numbered from the wall clock (`Date.now() / interval`),
 * so members whose clocks agree within an interval share them; every member tries to claim each
 * tick by creating its key, and only the one that created it runs `fn`, with the tick's fencing
 * token (strictly increasing per `name`) and a signal that aborts when the session is lost.
 * A tick that `fn` overruns is skipped, never run late on another member. Errors thrown by `fn`
 * are logged and the schedule goes on.
 *
 * @param coord A coordinator from `connect()`.
 * @param name The task's name, shared by the fleet.
 * @param interval The period in ms (> 0).
 * @param fn The tick's work; gets `{ token, signal }`.
 * @param o `signal` stops the schedule.
 * @returns A promise that resolves when `signal` aborts or the coordinator closes or loses its
 *   session.
 * @throws {TypeError} When `coord` is not from `connect()`, `name` is empty or `fn` is not a function.
 * @throws {RangeError} When `interval` is not a positive finite number.
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
export async function runExclusivePeriodic(
  coord: Coordinator,
  name: string,
  interval: number,
  fn: (ctx: { token: bigint; signal: AbortSignal }) => unknown,
  o: { signal?: AbortSignal } = {},
): Promise<void> {
  if (!(coord instanceof CoordinatorImpl)) {
    throw new TypeError(
      `Cannot run "${String(name)}" as 'coord' must come from connect(): current value is ${
        String(coord)
      }`,
    );
  }
  if (typeof name !== "string" || name === "") {
    throw new TypeError(
      `Cannot run a periodic task as 'name' must be a non-empty string: current value is ${
        String(name)
      }`,
    );
  }
  if (typeof interval !== "number" || !Number.isFinite(interval) || interval <= 0) {
    throw new RangeError(
      `Cannot run "${name}" as 'interval' must be a positive number of ms: current value is ${interval}`,
    );
  }
  if (typeof fn !== "function") {
    throw new TypeError(
      `Cannot run "${name}" as 'fn' must be a function: current value is ${String(fn)}`,
    );
  }
  const stops = [coord.lostSignal];
  if (o.signal) stops.push(o.signal);
  const stop = AbortSignal.any(stops);
  while (!stop.aborted) {
    const index = Math.floor(Date.now() / interval) + 1;
    const wait = index * interval - Date.now();
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          stop.removeEventListener("abort", onAbort);
          resolve();
        }, Math.max(0, wait));
        const onAbort = (): void => {
          clearTimeout(timer);
          reject(stop.reason);
        };
        stop.addEventListener("abort", onAbort, { once: true });
      });
    } catch {
      return;
    }
    let token: bigint | undefined;
    try {
      token = await coord[claimTick](name, index);
    } catch (error) {
      if (stop.aborted) return;
      getLogger().warning(
        `Periodic task "${name}" could not claim tick ${index}: ${String(error)}`,
      );
      continue;
    }
    // `coord.lost` runs the local TTL check: a member frozen past its TTL skips the tick.
    if (token === undefined || coord.lost.aborted || stop.aborted) continue;
    try {
      await fn({ token, signal: stop });
    } catch (error) {
      getLogger().error(`Periodic task "${name}" tick ${index} failed: ${String(error)}`);
    }
  }
}
