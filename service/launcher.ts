/**
 * `Launcher`: runs services in this isolate, without signal handling.
 *
 * @module
 */

import type { Config } from "../config/mod.ts";
import { selectBackendType } from "../runtime/selection.ts";
import { checkOptionsObject } from "../runtime/_check_options.ts";
import { describeValue } from "../runtime/_describe.ts";
import { checkRestartMethod, checkServiceBase, checkWorkers } from "./_launcher_common.ts";
import { prepareConf, refreshConf } from "./_launcher_config.ts";
import { type RestartMethod, type ServiceBase, Services } from "./service.ts";

/**
 * Options for {@linkcode Launcher}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Launcher, type LauncherOptions } from "@fjord/fjord";
 *
 * const options: LauncherOptions = { restartMethod: "mutate" };
 * assert.ok(new Launcher(undefined, options) instanceof Launcher);
 * ```
 */
export interface LauncherOptions {
  /** What `restart()` does: `"reload"` (default: re-read config, restart services) or `"mutate"`. */
  restartMethod?: RestartMethod;
}

/**
 * Runs services in this isolate (oslo.service's `Launcher`): no signal handling, no systemd
 * notification. Use {@linkcode ServiceLauncher} or {@linkcode ProcessLauncher} for a main program.
 *
 * @example
 * ```ts
 * import { Launcher, Service } from "@fjord/fjord";
 *
 * const launcher = new Launcher();
 * launcher.launchService(new Service());
 * await launcher.stop();
 * await launcher.wait();
 * ```
 */
export class Launcher implements AsyncDisposable {
  #conf: Config | undefined;
  #restartMethod: RestartMethod;
  #services: Services;

  /**
   * Creates a launcher and selects the backend when none is selected yet (hook, else
   * `FJORD_BACKEND`, else the default).
   *
   * @param conf The configuration (fjord's service options are registered on it).
   * @param options `restartMethod`: `"reload"` (default) or `"mutate"`.
   * @throws {TypeError} When `restartMethod` is neither.
   */
  constructor(conf?: Config, options: LauncherOptions = {}) {
    checkOptionsObject(options, "create Launcher");
    selectBackendType();
    this.#restartMethod = checkRestartMethod(options.restartMethod ?? "reload");
    this.#conf = conf;
    prepareConf(conf);
    this.#services = new Services({ restartMethod: this.#restartMethod });
  }

  /**
   * Adds a service and starts it.
   *
   * @param s The service.
   * @param options `workers`: must be 1 (or omitted).
   * @throws {TypeError} When `s` is not a service or `workers` is not an integer.
   * @throws {RangeError} When `workers` is not 1.
   * @throws {DOMException} `InvalidStateError` after `stop()` (until a `restart()`).
   */
  launchService(s: ServiceBase, options: { workers?: 1 } = {}): void {
    const workers = checkWorkers(options.workers, "launch service");
    if (workers !== undefined && workers !== 1) {
      throw new RangeError(
        `Cannot launch service as 'workers' must be 1 for a Launcher (use ProcessLauncher for more): current value is ${
          describeValue(workers)
        }`,
      );
    }
    checkServiceBase(s, "s");
    this.#services.add(s);
  }

  /**
   * Stops every service (`stop()` without `graceful`, as oslo).
   *
   * @returns A promise that resolves when every service's `stop()` settled.
   */
  stop(): Promise<void> {
    return this.#services.stop();
  }

  /**
   * Waits until the services were stopped and have finished.
   *
   * @returns A promise that resolves then.
   * @throws {Error} The first error a service's `start()` or `wait()` threw.
   */
  wait(): Promise<void> {
    return this.#services.wait();
  }

  /**
   * Reloads (`reload`) or mutates (`mutate`) the configuration, then restarts the services
   * (`reload`: stop, `reset()`, start again; `mutate`: `reset()` only).
   *
   * @returns A promise that resolves when done.
   */
  async restart(): Promise<void> {
    await refreshConf(this.#conf, this.#restartMethod);
    await this.#services.restart();
  }

  /** Stops, then waits. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
    await this.wait();
  }
}
