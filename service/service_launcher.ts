/**
 * `ServiceLauncher`: runs services in this isolate with oslo's signal handling and exit codes.
 *
 * @module
 */

import type { Config } from "../config/mod.ts";
import { selectBackendType } from "../runtime/selection.ts";
import { type Clock, systemClock } from "../runtime/clock.ts";
import { checkClock } from "../runtime/_check_clock.ts";
import { getLogger } from "../runtime/logger.ts";
import { checkOptionsObject } from "../runtime/_check_options.ts";
import { describeValue } from "../runtime/_describe.ts";
import {
  checkRestartMethod,
  checkServiceBase,
  checkWorkers,
  forceStopServices,
  registerReadiness,
  servicesStarted,
} from "./_launcher_common.ts";
import { SignalHold } from "./_signal_hold.ts";
import {
  gracefulTimeoutMs,
  maybeLogOptions,
  prepareConf,
  refreshConf,
} from "./_launcher_config.ts";
import { buildService, loadServiceExport, normalizeServiceRef } from "./_service_ref.ts";
import { type RestartMethod, type ServiceBase, Services } from "./service.ts";
import { isServiceRef, type ServiceRef } from "../runtime/service_ref.ts";
import { SignalExit } from "./signal_exit.ts";
import { notifyReady, notifyStopping } from "./systemd.ts";
import { startWatchdog } from "./_watchdog.ts";

/**
 * Options for {@linkcode ServiceLauncher}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FakeClock, ServiceLauncher, type ServiceLauncherOptions } from "@fjord/fjord";
 *
 * using clock = new FakeClock();
 * const options: ServiceLauncherOptions = { restartMethod: "reload", clock };
 * assert.ok(new ServiceLauncher(undefined, options) instanceof ServiceLauncher);
 * ```
 */
export interface ServiceLauncherOptions {
  /** What SIGHUP does: `"reload"` (default) or `"mutate"`. */
  restartMethod?: RestartMethod;
  /** The clock the graceful shutdown timeout is measured on. */
  clock?: Clock;
}

/**
 * Runs services in this isolate, with signal handling (both backends). The first
 * `launchService()` installs the handlers (so a SIGTERM while a service starts stops it instead
 * of killing this process), or `wait()` when there was none; they are removed once the launcher
 * is done, and keep the process alive meanwhile. `wait()` resolves the exit code:
 * - SIGTERM: `stop({ graceful: true })` on every service, then their `wait()`; 0, or 1 when
 *   `graceful_shutdown_timeout` (config, seconds, default 60, 0 = forever) expired first.
 * - SIGINT: `stop({ graceful: false })`; 1.
 * - SIGHUP: `reload` (config files re-read, services stopped, `reset()`, started again) or
 *   `mutate` (mutable options applied, `reset()` only).
 * - A service's `start()` or `wait()` throws: the rest are stopped; 2 (a `SignalExit`'s `code`).
 * - `stop()`: 0.
 * - systemd: `READY=1` once every service started, `STOPPING=1` when stopping, and `WATCHDOG=1`
 *   every `WATCHDOG_USEC / 2` while running when `$WATCHDOG_USEC` is set (and `$WATCHDOG_PID`
 *   is unset or this process).
 *
 * A {@linkcode ServiceRef} is imported and built here (`workerId` 0); if it cannot be loaded,
 * `wait()` rejects with a `ServiceNotFoundError`.
 *
 * @example
 * ```ts ignore
 * import { Service, ServiceLauncher } from "@fjord/fjord";
 *
 * const launcher = new ServiceLauncher();
 * launcher.launchService(new Service());
 * Deno.exit(await launcher.wait()); // until SIGTERM / SIGINT
 * ```
 *
 * @example `stop()` makes `wait()` resolve 0
 * ```ts
 * import assert from "node:assert/strict";
 * import { Service, ServiceLauncher } from "@fjord/fjord";
 *
 * const launcher = new ServiceLauncher();
 * launcher.launchService(new Service());
 * const exitCode = launcher.wait();
 * await launcher.stop();
 * assert.equal(await exitCode, 0);
 * ```
 */
export class ServiceLauncher implements AsyncDisposable {
  #conf: Config | undefined;
  #restartMethod: RestartMethod;
  #clock: Clock;
  #services: Services;
  #loads: Promise<void>[] = [];
  #state: "running" | "stopping" | "stopped" = "running";
  #stopping: Promise<void> | undefined;
  #exit = Promise.withResolvers<number>();
  #exited = false;
  #fatal: { error: unknown } | undefined;
  #waiting: Promise<number> | undefined;
  #reloading: Promise<void> = Promise.resolve();
  #notifications: Promise<unknown>[] = [];
  #readyNotified = false;
  #started = false;
  #startsAsked = 0;
  #abandoned = false;
  // The running graceful stop's timeout, ended by a SIGINT that abandons that stop.
  #graceTimer: AbortController | undefined;
  readonly #signals = new SignalHold();

  /**
   * Creates a launcher and selects the backend when none is selected yet (hook, else
   * `FJORD_BACKEND`, else the default).
   *
   * @param conf The configuration (fjord's service options are registered on it).
   * @param options `restartMethod` (default `"reload"`), `clock`.
   * @throws {TypeError} When `restartMethod` is not `"reload"` or `"mutate"`, or `clock` is not
   *   a Clock.
   */
  constructor(conf?: Config, options: ServiceLauncherOptions = {}) {
    checkOptionsObject(options, "create ServiceLauncher");
    registerReadiness(this, () => this.#started && this.#state === "running");
    selectBackendType();
    this.#restartMethod = checkRestartMethod(options.restartMethod ?? "reload");
    checkClock(options.clock, "create ServiceLauncher");
    this.#clock = options.clock ?? systemClock;
    this.#conf = conf;
    prepareConf(conf);
    this.#services = new Services({ restartMethod: this.#restartMethod });
  }

  /**
   * Starts a service in this isolate: an instance at once, a {@linkcode ServiceRef} once its
   * module was imported.
   *
   * @param s A service or a reference to one.
   * @param options `workers`: must be 1 (or omitted).
   * @throws {TypeError} When `s` is neither a service nor a well-formed ServiceRef, or
   *   `workers` is not an integer.
   * @throws {RangeError} When `workers` is not 1.
   * @throws {DOMException} `InvalidStateError` when the launcher is stopping or stopped.
   */
  launchService(s: ServiceRef | ServiceBase, options: { workers?: 1 } = {}): void {
    const workers = checkWorkers(options.workers, "launch service");
    if (workers !== undefined && workers !== 1) {
      throw new RangeError(
        `Cannot launch service as 'workers' must be 1 for a ServiceLauncher (use ProcessLauncher for more): current value is ${
          describeValue(workers)
        }`,
      );
    }
    if (this.#state !== "running") {
      throw new DOMException(
        `Cannot launch service as the launcher is ${this.#state}`,
        "InvalidStateError",
      );
    }
    // Before the service starts: a SIGTERM from then on stops it, instead of killing this
    // process with the default action while nobody has called wait() yet.
    this.#holdSignals();
    if (isServiceRef(s) && !isServiceLikeObject(s)) {
      const ref = normalizeServiceRef(s);
      const load = (async () => {
        const target = await loadServiceExport(ref);
        if (this.#state !== "running") return;
        const service = await buildService(ref, target, { workerId: 0, conf: this.#conf });
        if (this.#state !== "running") return;
        this.#add(service);
      })();
      this.#loads.push(load.catch((error) => this.#onFatal(error)));
      return;
    }
    checkServiceBase(s, "s");
    this.#add(s);
  }

  /**
   * Waits until the launcher has stopped, handling SIGTERM, SIGINT and SIGHUP meanwhile, and
   * keeping the process alive. Calling it again returns the same promise.
   *
   * @returns The exit code: 0 graceful, 1 SIGINT or graceful timeout, 2 a service error.
   * @throws {ServiceNotFoundError} When a launched ServiceRef could not be loaded.
   */
  wait(): Promise<number> {
    this.#waiting ??= this.#runWait();
    return this.#waiting;
  }

  /**
   * Stops every service gracefully (bounded by `graceful_shutdown_timeout`); `wait()` then
   * resolves 0. Calling it again returns the same promise.
   *
   * @returns A promise that resolves when the services have stopped.
   */
  stop(): Promise<void> {
    return this.#shutdown(true, 0);
  }

  /**
   * What SIGHUP does: `reload` re-reads the config files and restarts every service;
   * `mutate` applies mutable options and calls each service's `reset()`. A config that cannot be
   * read or is invalid is logged and changes nothing: the services keep running on the old one.
   *
   * @returns A promise that resolves when done (nothing happens once stopping); it rejects when
   *   a service fails to restart.
   */
  restart(): Promise<void> {
    // A failed restart (already reported to its caller) does not cancel the next one.
    this.#reloading = this.#reloading.catch(() => {}).then(async () => {
      if (this.#state !== "running") return;
      await Promise.all(this.#loads);
      try {
        await refreshConf(this.#conf, this.#restartMethod);
      } catch (error) {
        // A typo in a config file must not stop a running service (nothing was applied: the
        // Config keeps its old values), as a ProcessLauncher keeps its old workers.
        getLogger().error("Reload failed; the old config and services keep running", error);
        return;
      }
      // A stop that came while the config was read (SIGTERM after SIGHUP) wins: restarting now
      // would start the services it is stopping.
      if (this.#state !== "running") return;
      await this.#services.restart();
      this.#watch();
    });
    return this.#reloading;
  }

  /** Stops, then waits for the stop to finish. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
    await this.#exit.promise;
  }

  #add(service: ServiceBase): void {
    this.#services.add(service);
    this.#watch();
    // Started (readiness) once every start() added so far has succeeded; a later add's answer
    // supersedes an earlier one's.
    this.#started = false;
    const asked = ++this.#startsAsked;
    void servicesStarted(this.#services).then((ok) => {
      if (asked === this.#startsAsked) this.#started = ok;
    });
  }

  #watch(): void {
    this.#services.wait().catch((error) => this.#onServiceError(error));
  }

  #onFatal(error: unknown): void {
    getLogger().error("Cannot launch service", error);
    this.#fatal ??= { error };
    void this.#shutdown(false, 2);
  }

  #onServiceError(error: unknown): void {
    if (this.#state !== "running") return;
    getLogger().error("Service failed; stopping", error);
    void this.#shutdown(true, error instanceof SignalExit ? error.code : 2);
  }

  #notify(fn: () => Promise<boolean>): void {
    this.#notifications.push(fn().catch(() => false));
  }

  #shutdown(graceful: boolean, code: number): Promise<void> {
    if (!graceful && this.#stopping !== undefined) {
      // SIGINT during a graceful stop: stop without grace and report at once.
      this.#abandoned = true;
      // The graceful stop's timeout would otherwise keep the program alive to its end.
      this.#graceTimer?.abort();
      void forceStopServices(this.#services);
      this.#finish(code);
    }
    this.#stopping ??= this.#doStop(graceful, code);
    return this.#stopping;
  }

  #finish(code: number): void {
    if (this.#exited) return;
    this.#exited = true;
    this.#signals.release();
    this.#exit.resolve(code);
  }

  // Installed by the first launchService() or by wait(); released once the launcher is done.
  #holdSignals(): void {
    if (this.#exited) return;
    this.#signals.take(() => ({
      SIGTERM: () => {
        if (this.#stopping !== undefined) return; // further SIGTERMs are ignored
        getLogger().info("Caught SIGTERM, stopping gracefully");
        void this.#shutdown(true, 0);
      },
      SIGINT: () => {
        getLogger().info("Caught SIGINT signal, instantaneous exiting");
        void this.#shutdown(false, 1);
      },
      SIGHUP: () => {
        getLogger().info(`Caught SIGHUP, restarting services (${this.#restartMethod})`);
        this.restart().catch((error) => this.#onServiceError(error));
      },
    }));
  }

  async #doStop(graceful: boolean, code: number): Promise<void> {
    this.#state = "stopping";
    this.#notify(notifyStopping);
    let result = code;
    if (!graceful) {
      // Instantaneous: ask every service to stop without grace, but wait for none of them.
      void Promise.all(this.#loads).then(() => this.#services.stop({ graceful: false }))
        .catch((error) => getLogger().error("Error stopping services", error));
      this.#state = "stopped";
      this.#finish(result);
      return;
    }
    const timeoutMs = gracefulTimeoutMs(this.#conf);
    const work = (async () => {
      await Promise.all(this.#loads);
      await this.#services.stop({ graceful: true });
      await this.#services.wait();
    })();
    try {
      if (timeoutMs > 0) {
        const ac = this.#graceTimer = new AbortController();
        const timedOut = this.#clock.sleep(timeoutMs, { signal: ac.signal }).then(
          () => true,
          () => false,
        );
        // Ended however the race ends: a service error rejects it, and the timer then kept the
        // program alive to graceful_shutdown_timeout (60 s by default) after wait() resolved 2.
        const outcome = await Promise.race([work.then(() => false), timedOut]).finally(() =>
          ac.abort()
        );
        if (outcome) {
          getLogger().error("Graceful shutdown timeout exceeded, instantaneous exiting");
          work.catch(() => {});
          void forceStopServices(this.#services);
          result = 1;
        }
      } else {
        await work;
      }
    } catch (error) {
      if (result === 0) {
        getLogger().error("Service failed while stopping", error);
        result = error instanceof SignalExit ? error.code : 2;
      }
    }
    this.#state = "stopped";
    this.#finish(result);
  }

  async #runWait(): Promise<number> {
    // Held even when already stopping: SIGINT still forces the stop.
    this.#holdSignals();
    const stopWatchdog = startWatchdog(() => this.#state === "running", this.#clock);
    try {
      if (this.#state === "running") {
        maybeLogOptions(this.#conf);
        void this.#readyWhenStarted();
      }
      const code = await this.#exit.promise;
      if (this.#fatal !== undefined) throw this.#fatal.error;
      return code;
    } finally {
      this.#signals.release();
      await stopWatchdog();
      if (!this.#abandoned) await this.#stopping;
      await Promise.all(this.#notifications);
    }
  }

  async #readyWhenStarted(): Promise<void> {
    await Promise.all(this.#loads);
    const ok = await servicesStarted(this.#services);
    if (ok && this.#state === "running" && !this.#readyNotified) {
      this.#readyNotified = true;
      this.#notify(notifyReady);
    }
  }
}

// A service object that happens to have a `module` field is still a service.
function isServiceLikeObject(value: object): boolean {
  return typeof (value as { start?: unknown }).start === "function";
}
