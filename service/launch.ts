/**
 * `launch()`: picks the launcher for a worker count and launches the service on it.
 *
 * @module
 */

import { checkKnownKeys, checkOptionsObject } from "../runtime/_check_options.ts";
import { checkWorkers } from "./_launcher_common.ts";
import { ProcessLauncher } from "./process_launcher.ts";
import type { RestartMethod, ServiceBase } from "./service.ts";
import { ServiceLauncher } from "./service_launcher.ts";
import type { ServiceRef } from "../runtime/service_ref.ts";

/**
 * The configuration a launcher takes (a `Config`, or `undefined` for none).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Config, type LaunchConfig } from "@fjord/fjord";
 *
 * const conf: LaunchConfig = new Config();
 * assert.ok(conf instanceof Config);
 * ```
 */
export type LaunchConfig = ConstructorParameters<typeof ServiceLauncher>[0];

/**
 * Options for {@linkcode launch}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { launch, type LaunchOptions, Service, ServiceLauncher } from "@fjord/fjord";
 *
 * const options: LaunchOptions = { workers: 1, restartMethod: "mutate" };
 * const launcher = launch(undefined, new Service(), options);
 * assert.ok(launcher instanceof ServiceLauncher);
 * await launcher.stop();
 * ```
 */
export interface LaunchOptions {
  /** How many workers: 1 or omitted → {@linkcode ServiceLauncher}, more → {@linkcode ProcessLauncher}. */
  workers?: number;
  /** What SIGHUP does: `"reload"` (default) or `"mutate"`. */
  restartMethod?: RestartMethod;
  /** Use a ProcessLauncher that runs the service in this isolate. */
  noFork?: boolean;
}

// Checked against LaunchOptions by the type checker, as ProcessLauncher's.
const LAUNCH_KEYS = Object.keys(
  { workers: true, restartMethod: true, noFork: true } satisfies Record<keyof LaunchOptions, true>,
);

/**
 * Creates the launcher that fits `workers` and launches `s` on it: a {@linkcode ServiceLauncher}
 * for 1 (or undefined) without `noFork`, else a {@linkcode ProcessLauncher}. Then call
 * `wait()`.
 *
 * @param conf The configuration.
 * @param s The service, or a reference to it (required for more than one worker).
 * @param options `workers`, `restartMethod`, `noFork`.
 * @returns The launcher, already launching the service.
 * @throws {TypeError} When `workers` is not an integer, or `s` is an instance while a
 *   ProcessLauncher that forks is needed.
 * @throws {RangeError} When `workers` < 1.
 *
 * @example
 * ```ts
 * import { launch, Service, ServiceLauncher } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * const launcher = launch(undefined, new Service());
 * assert.ok(launcher instanceof ServiceLauncher);
 * await launcher.stop();
 * assert.equal(await launcher.wait(), 0);
 * assert.throws(() => launch(undefined, new Service(), { workers: 0 }), RangeError);
 * ```
 */
export function launch(
  conf: LaunchConfig,
  s: ServiceRef | ServiceBase,
  options: LaunchOptions = {},
): ServiceLauncher | ProcessLauncher {
  checkOptionsObject(options, "launch");
  // `{ worker: 4 }` ran one worker, in this process, without a word.
  checkKnownKeys(options, "launch", "options", LAUNCH_KEYS);
  const workers = checkWorkers(options.workers, "launch");
  const restartMethod = options.restartMethod ?? "reload";
  if ((workers ?? 1) === 1 && !options.noFork) {
    const launcher = new ServiceLauncher(conf, { restartMethod });
    launcher.launchService(s);
    return launcher;
  }
  const launcher = new ProcessLauncher(conf, { restartMethod, noFork: options.noFork ?? false });
  launcher.launchService(s, workers === undefined ? {} : { workers });
  return launcher;
}
