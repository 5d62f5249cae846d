/**
 * Services: `ServiceBase`, `Service` (with a `ThreadGroup`) and `Services`, the in-isolate
 * container the launchers run services in.
 *
 * @module
 */

import { getLogger } from "../runtime/logger.ts";
import { checkBooleanOption, checkOptionsObject } from "../runtime/_check_options.ts";
import {
  checkRestartMethod,
  checkServiceBase,
  isServiceLike,
  registerServicesInternals,
} from "./_launcher_common.ts";
import { ThreadGroup } from "./thread_group.ts";

/**
 * What every service implements (oslo.service's `ServiceBase`). Every method may be sync or async.
 *
 * @example
 * ```ts
 * import type { ServiceBase } from "@fjord/fjord";
 *
 * class Heartbeat implements ServiceBase {
 *   #timer: ReturnType<typeof setInterval> | undefined;
 *   start(): void { this.#timer = setInterval(() => {}, 1000); }
 *   stop(): void { clearInterval(this.#timer); }
 *   wait(): void {}
 *   reset(): void {}
 * }
 * const svc = new Heartbeat();
 * svc.start();
 * svc.stop();
 * ```
 */
export interface ServiceBase {
  /** Starts the service; a launcher counts it as running once this has resolved. */
  start(): void | Promise<void>;
  /**
   * Stops the service. `graceful: true` (on SIGTERM) lets running work finish; otherwise stop
   * at once.
   */
  stop(options?: { graceful?: boolean }): void | Promise<void>;
  /** Resolves when the service's work is done (after `stop()`). */
  wait(): void | Promise<void>;
  /** Called on SIGHUP with the `mutate` restart method (and before a restart with `reload`). */
  reset(): void | Promise<void>;
}

/**
 * Options for {@linkcode Service}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Service, type ServiceOptions, ThreadGroup } from "@fjord/fjord";
 *
 * const options: ServiceOptions = { threads: 10 };
 * const service = new Service(options);
 * assert.ok(service.tg instanceof ThreadGroup);
 * ```
 */
export interface ServiceOptions {
  /** The `ThreadGroup`'s `maxThreads` (default 1000). */
  threads?: number;
}

/**
 * A service with a {@linkcode ThreadGroup} (`tg`) for its threads and timers. `start()` and
 * `reset()` do nothing; `stop(options)` stops the group (`graceful: true` lets threads finish);
 * `wait()` waits for the group. Subclass it and start work in `start()`.
 *
 * @example A service with a timer
 * ```ts
 * import { Service } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * class Ticker extends Service {
 *   ticks = 0;
 *   override start(): void {
 *     this.tg.addTimer(10, () => { this.ticks++; });
 *   }
 * }
 * const svc = new Ticker();
 * await svc.start();
 * await svc.stop({ graceful: false });
 * await svc.wait();
 * assert.equal(svc.tg.timers.length, 0);
 * ```
 */
export class Service implements ServiceBase {
  /** The group this service's threads and timers run in. */
  readonly tg: ThreadGroup;

  /**
   * Creates the service and its thread group.
   *
   * @param options `threads`: the group's `maxThreads` (default 1000).
   * @throws {RangeError} When `threads` is not a positive integer (from `ThreadGroup`).
   * @throws {TypeError} When `options` is not an object.
   */
  constructor(options: ServiceOptions = {}) {
    checkOptionsObject(options, "create Service");
    const { threads = 1000 } = options;
    this.tg = new ThreadGroup({ maxThreads: threads });
  }

  /** Starts the service (nothing by default; override it). */
  start(): void | Promise<void> {}

  /**
   * Stops the thread group.
   *
   * @param options `graceful: true` waits for threads to finish; otherwise they are aborted.
   * @returns A promise that resolves when the group has stopped.
   */
  stop(options: { graceful?: boolean } = {}): Promise<void> {
    return this.tg.stop({ graceful: options.graceful ?? false });
  }

  /**
   * Waits for the thread group's threads and timers to finish.
   *
   * @returns A promise that resolves when they have.
   */
  wait(): Promise<void> {
    return this.tg.wait();
  }

  /** Resets the service on SIGHUP (nothing by default; override it). */
  reset(): void | Promise<void> {}
}

/**
 * How a launcher restarts services on SIGHUP: `"reload"` or `"mutate"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type RestartMethod, Services } from "@fjord/fjord";
 *
 * const method: RestartMethod = "mutate";
 * const services = new Services({ restartMethod: method });
 * await services.restart(); // with mutate: only reset()
 * await services.stop();
 * assert.ok(services instanceof Services);
 * ```
 */
export type RestartMethod = "reload" | "mutate";

/**
 * Whether `value` implements {@linkcode ServiceBase} (has `start`, `stop`, `wait` and `reset`
 * methods).
 *
 * @param value Any value.
 * @returns `true` for a service.
 *
 * @example
 * ```ts
 * import { isServiceBase, Service } from "@fjord/fjord/service";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isServiceBase(new Service()));
 * assert.ok(!isServiceBase({ start() {} }));
 * ```
 */
export function isServiceBase(value: unknown): value is ServiceBase {
  return isServiceLike(value);
}

/**
 * Options for {@linkcode Services}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Services, type ServicesOptions } from "@fjord/fjord";
 *
 * const options: ServicesOptions = { restartMethod: "reload" };
 * assert.ok(new Services(options) instanceof Services);
 * ```
 */
export interface ServicesOptions {
  /** What {@linkcode Services.restart} does: `"reload"` (default) or `"mutate"`. */
  restartMethod?: RestartMethod;
}

/**
 * A set of services run in this isolate. `add()` starts a service at once; `stop()` stops them
 * all; `wait()` resolves once they were stopped and their `wait()`s resolved, and rejects with the
 * first error a `start()` or `wait()` threw.
 *
 * @example
 * ```ts
 * import { Service, Services } from "@fjord/fjord";
 *
 * const services = new Services();
 * services.add(new Service());
 * await services.stop();
 * await services.wait();
 * ```
 */
export class Services {
  #restartMethod: RestartMethod;
  #services: ServiceBase[] = [];
  #starts: Promise<boolean>[] = [];
  #done = Promise.withResolvers<void>();
  #failed = Promise.withResolvers<never>();
  #stopping: Promise<void> | undefined;
  #stopRequested = false;
  // Each service's wait() of this run, called once (as oslo does) however often the set is
  // waited for: a launcher waits from its watcher and again while stopping.
  #waits = new Map<ServiceBase, Promise<void>>();

  static {
    registerServicesInternals(
      async (s) => (await Promise.all(s.#starts)).every(Boolean),
      async (s) => {
        s.#done.resolve();
        await Promise.allSettled(s.#services.map((x) => x.stop({ graceful: false })));
      },
    );
  }

  /**
   * Creates an empty set.
   *
   * @param options `restartMethod`: `"reload"` (default) or `"mutate"`.
   * @throws {TypeError} When `options` is not an object, or `restartMethod` is neither.
   */
  constructor(options: ServicesOptions = {}) {
    checkOptionsObject(options, "create Services");
    this.#restartMethod = checkRestartMethod(options.restartMethod ?? "reload");
    // A failure nobody waits for must not crash the isolate as an unhandled rejection.
    this.#failed.promise.catch(() => {});
  }

  /**
   * Adds a service and starts it (`start()` runs at once, asynchronously).
   *
   * @param s The service.
   * @throws {TypeError} When `s` does not implement {@linkcode ServiceBase}.
   * @throws {DOMException} `InvalidStateError` after `stop()` (until a `restart()`).
   */
  add(s: ServiceBase): void {
    checkServiceBase(s, "s");
    // stop() has stopped (or is stopping) the services it knew: one started now would run on
    // with nobody to stop it, and wait() would wait for it.
    if (this.#stopRequested) {
      throw new DOMException(
        "Cannot add service as the services were stopped",
        "InvalidStateError",
      );
    }
    this.#services.push(s);
    this.#starts.push(this.#run(s));
  }

  /**
   * Stops every service (in the order added), then releases `wait()`. Calling it again while
   * stopping returns the same promise.
   *
   * @param options `graceful` is passed to each service's `stop()` (default `false`, as oslo).
   * @returns A promise that resolves when every `stop()` has settled.
   * @throws {TypeError} When `options` is not an object or `graceful` not a boolean.
   * @throws {Error} The first error a service's `stop()` threw (the others are still stopped).
   */
  stop(options: { graceful?: boolean } = {}): Promise<void> {
    checkOptionsObject(options, "stop services");
    checkBooleanOption(options.graceful, "stop services", "graceful");
    // A stop asked for while restart() is stopping the services must keep them stopped.
    this.#stopRequested = true;
    return this.#stopAll(options);
  }

  #stopAll(options: { graceful?: boolean }): Promise<void> {
    this.#stopping ??= (async () => {
      let first: { error: unknown } | undefined;
      for (const s of this.#services) {
        try {
          await s.stop({ graceful: options.graceful ?? false });
        } catch (error) {
          getLogger().error("Error stopping service", error);
          first ??= { error };
        }
      }
      this.#done.resolve();
      if (first !== undefined) throw first.error;
    })();
    return this.#stopping;
  }

  /**
   * Waits until the services were stopped and each one's `wait()` resolved.
   *
   * @returns A promise that resolves then.
   * @throws {Error} The first error a service's `start()` or `wait()` threw.
   */
  wait(): Promise<void> {
    const services = [...this.#services];
    const starts = [...this.#starts];
    const done = this.#done.promise;
    const all = (async () => {
      await Promise.all(starts);
      for (const s of services) await this.#waitOf(s);
      await done;
    })();
    return Promise.race([all, this.#failed.promise]);
  }

  /**
   * Restarts the services: with `reload`, stops them and starts them again (calling `reset()` in
   * between); with `mutate`, only calls each one's `reset()`.
   *
   * @returns A promise that resolves when every service was reset (and, with `reload`, its
   *   `start()` was called again; a failing `start()` rejects a later `wait()`).
   */
  async restart(): Promise<void> {
    this.#stopRequested = false;
    if (this.#restartMethod === "reload") {
      await this.#stopAll({});
      // stop() was called meanwhile (SIGTERM during a SIGHUP): stay stopped. Starting again
      // would leave that stop's wait() pending until its launcher's shutdown timeout.
      if (this.#stopRequested) return;
      this.#stopping = undefined;
      this.#done = Promise.withResolvers<void>();
      this.#failed = Promise.withResolvers<never>();
      this.#failed.promise.catch(() => {});
      this.#starts = [];
      this.#waits.clear();
    }
    for (const s of this.#services) {
      await s.reset();
      if (this.#restartMethod === "reload" && !this.#stopRequested) this.#starts.push(this.#run(s));
    }
  }

  #waitOf(s: ServiceBase): Promise<void> {
    let waiting = this.#waits.get(s);
    if (waiting === undefined) {
      waiting = (async () => await s.wait())();
      this.#waits.set(s, waiting);
    }
    return waiting;
  }

  async #run(s: ServiceBase): Promise<boolean> {
    const failed = this.#failed;
    try {
      await s.start();
      return true;
    } catch (error) {
      getLogger().error("Error starting service", error);
      // A start() that a reload restart() superseded (the service was stopped and started again
      // meanwhile) no longer fails the services: oslo kills it with the old run's thread.
      if (failed === this.#failed) failed.reject(error);
      return false;
    }
  }
}
