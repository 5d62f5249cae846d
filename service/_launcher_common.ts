// Helpers shared by the launchers (parent side) and their worker runtimes: argument checks and
// internal access to Services. (The launchers' signal hold is in _signal_hold.ts: a worker does
// not load the signal handler.)

import { describeValue } from "../runtime/_describe.ts";
import type { RestartMethod, ServiceBase, Services } from "./service.ts";

const RESTART_METHODS: readonly string[] = ["reload", "mutate"];

/** Validates a restart method. */
export function checkRestartMethod(value: unknown): RestartMethod {
  if (!RESTART_METHODS.includes(value as string)) {
    throw new TypeError(
      `Cannot use restart method as 'restartMethod' must be "reload" or "mutate": current value is ${
        describeValue(value)
      }`,
    );
  }
  return value as RestartMethod;
}

/** Whether `value` has ServiceBase's four methods. */
export function isServiceLike(value: unknown): value is ServiceBase {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.start === "function" && typeof v.stop === "function" &&
    typeof v.wait === "function" && typeof v.reset === "function";
}

/** Throws a TypeError naming `parameter` unless `value` is a ServiceBase. */
export function checkServiceBase(value: unknown, parameter: string): asserts value is ServiceBase {
  if (!isServiceLike(value)) {
    throw new TypeError(
      `Cannot launch service as '${parameter}' must implement ServiceBase (start, stop, wait, reset): current value is ${
        describeValue(value)
      }`,
    );
  }
}

/** Checks a launcher's `workers` option: an integer >= 1 (or undefined). */
export function checkWorkers(workers: unknown, what: string): number | undefined {
  if (workers === undefined) return undefined;
  if (typeof workers !== "number" || !Number.isInteger(workers)) {
    throw new TypeError(
      `Cannot ${what} as 'workers' must be an integer: current value is ${describeValue(workers)}`,
    );
  }
  if (workers < 1) {
    throw new RangeError(
      `Cannot ${what} as 'workers' must be >= 1: current value is ${describeValue(workers)}`,
    );
  }
  return workers;
}

let startedOf: ((services: Services) => Promise<boolean>) | undefined;
let forceStopOf: ((services: Services) => Promise<void>) | undefined;

/** Called once by Services' static block. */
export function registerServicesInternals(
  started: (services: Services) => Promise<boolean>,
  forceStop: (services: Services) => Promise<void>,
): void {
  startedOf = started;
  forceStopOf = forceStop;
}

/** Calls every service's stop({ graceful: false }), even while a graceful stop is pending. */
export function forceStopServices(services: Services): Promise<void> {
  return forceStopOf!(services);
}

/** Resolves when every start() added so far settled: true when all succeeded. */
export function servicesStarted(services: Services): Promise<boolean> {
  return startedOf!(services);
}

// Whether a ServiceLauncher's services have all started: what a ProcessLauncher with noFork
// reports as ready. Kept here, as ServiceLauncher's own module exports only its public surface.
const readiness = new WeakMap<object, () => boolean>();

/** Called by each ServiceLauncher for itself. */
export function registerReadiness(launcher: object, ready: () => boolean): void {
  readiness.set(launcher, ready);
}

/** Whether `launcher` (a ServiceLauncher) has started all its services. */
export function launcherReady(launcher: object): boolean {
  return readiness.get(launcher)?.() ?? false;
}
