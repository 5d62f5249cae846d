/**
 * `ProcessLauncher`: runs a service in several supervised workers (Web Workers or child Deno
 * processes), with oslo's signal handling, rolling reload and restart policy.
 *
 * @module
 */

import type { Config } from "../config/mod.ts";
import { type Clock, systemClock } from "../runtime/clock.ts";
import { checkClock } from "../runtime/_check_clock.ts";
import { getLogger } from "../runtime/logger.ts";
import {
  type ResolvedRestartPolicy,
  resolveRestartPolicy,
  type RestartDecision,
  type RestartPolicy,
  RestartTracker,
} from "../runtime/restart_policy.ts";
import { describeValue } from "../runtime/_describe.ts";
import { inheritedPermissionFlags, permitted } from "../runtime/_permitted.ts";
import { selectBackendType, selectedBackendType, selectedIsolation } from "../runtime/selection.ts";
import {
  checkBooleanOption,
  checkKnownKeys,
  checkOptionsObject,
} from "../runtime/_check_options.ts";
import { checkRestartMethod, checkWorkers, launcherReady } from "./_launcher_common.ts";
import { SignalHold } from "./_signal_hold.ts";
import {
  configSources,
  gracefulTimeoutMs,
  maybeLogOptions,
  prepareConf,
  refreshConf,
} from "./_launcher_config.ts";
import {
  checkServiceArgs,
  checkThenSpawn,
  normalizeServiceRef,
  type PlainServiceRef,
} from "./_service_ref.ts";
import type { LauncherWorkerInit } from "./_launcher_runtime.ts";
import type { ExitInfo, WorkerHandle } from "./_worker_handle.ts";
import type { RestartMethod, ServiceBase } from "./service.ts";
import { ServiceLauncher } from "./service_launcher.ts";
import { isServiceRef, type ServiceRef } from "../runtime/service_ref.ts";
import { notifyReady, notifyStopping } from "./systemd.ts";
import { RestartIntensityError } from "./restart_intensity_error.ts";
import { checkHealthOptions, type HealthServer, serveHealth } from "./_health.ts";
import { startWatchdog } from "./_watchdog.ts";
import { enableTcpMigrateReq } from "./_migrate_req.ts";

// How long after a standby worker died another one is started.
const STANDBY_RESPAWN_MS = 1_000;

/**
 * Where a launcher's health endpoint listens ({@linkcode ProcessLauncherOptions.health}).
 *
 * @example
 * ```ts
 * import type { HealthEndpointOptions } from "@fjord/fjord";
 *
 * const health: HealthEndpointOptions = { port: 8081 }; // 127.0.0.1:8081
 * ```
 */
export interface HealthEndpointOptions {
  /** The TCP port (0: any free port; read it from `healthAddress`). */
  port: number;
  /** The address to bind (default `"127.0.0.1"`: loopback only). */
  hostname?: string;
}

/**
 * Options for {@linkcode ProcessLauncher}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProcessLauncher, type ProcessLauncherOptions } from "@fjord/fjord";
 *
 * const options: ProcessLauncherOptions = { isolation: "worker", standby: true };
 * assert.deepEqual(new ProcessLauncher(undefined, options).workers, []);
 * ```
 */
export interface ProcessLauncherOptions {
  /** What SIGHUP does: `"reload"` (default: roll every worker) or `"mutate"` (`reset()` only). */
  restartMethod?: RestartMethod;
  /** Run the service in this isolate instead (same signals and exit codes as ServiceLauncher). */
  noFork?: boolean;
  /**
   * Where workers run: `"worker"` (module Web Workers; the threading backend's default) or
   * `"process"` (child `deno run` processes; the cooperative backend's default).
   */
  isolation?: "worker" | "process";
  /**
   * Flags for each child `deno run` (process isolation). Default: `--allow-<name>` for every
   * permission this process holds in full (queried with `Deno.permissions`), plus read access
   * to the service module and config files when read is not fully granted.
   */
  denoArgs?: string[];
  /** The clock for the restart back-off, the watchdog and the graceful shutdown timeout. */
  clock?: Clock;
  /**
   * How dead workers are restarted (per worker): the first restart is immediate, each further
   * one within the window waits `backoff.initial × factor^(n-1)` ms (capped at `backoff.max`),
   * and more than `maxRestarts` restarts within `window` ms stop the launcher: the other workers
   * are stopped, a {@linkcode RestartIntensityError} is logged and `wait()` resolves 2.
   * Defaults: `{ maxRestarts: 10, window: 60_000, backoff: { initial: 100, factor: 2, max: 5_000 } }`
   * (a worker that dies at once every time is given up after about 20 s).
   */
  restart?: RestartPolicy;
  /**
   * An HTTP endpoint for probes (off by default): `GET /healthz` answers 200 while the launcher
   * runs, `GET /readyz` 200 once every worker has started and none is restarting (else 503);
   * both with a JSON body `{ state, workers }`. Binds `hostname` (default `"127.0.0.1"`); needs
   * `--allow-net` for it.
   */
  health?: HealthEndpointOptions;
  /**
   * Turn on `net.ipv4.tcp_migrate_req` for this network namespace (Linux) so that connections
   * queued on a closing `reusePort` listener move to another worker during a rolling reload
   * instead of being reset (default `true`; done once per process, once the first workers have
   * started or at the first reload, whichever comes first — not while they start, which the
   * `sysctl` runs would slow down — when it may: root or CAP_NET_ADMIN, and Deno permission —
   * `--allow-all` for `/proc/sys`, or `--allow-run=sysctl`; it logs that it did, or warns once
   * naming the setting when it may not). `false` leaves the setting alone.
   */
  migrateRequests?: boolean;
  /**
   * Keep one pre-started standby worker per service (module imported, config loaded), promoted
   * when a worker dies: a replacement's `start()` then runs without a worker start-up (default
   * `false`). It is started once the service's workers have started.
   */
  standby?: boolean;
}

/**
 * A worker's state as {@linkcode ProcessLauncher.workers} reports it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProcessLauncher, Service, type WorkerInfo } from "@fjord/fjord";
 *
 * const launcher = new ProcessLauncher(undefined, { noFork: true });
 * launcher.launchService(new Service());
 * const [info]: readonly WorkerInfo[] = launcher.workers;
 * assert.equal(info?.workerId, 0);
 * await launcher.stop();
 * ```
 */
export interface WorkerInfo {
  /** The worker id (from 0, per service), kept across respawns. */
  workerId: number;
  /** The child's pid (process isolation), else `undefined`. */
  pid: number | undefined;
  /** How many times this worker was respawned after dying. */
  restarts: number;
  /**
   * `"starting"`, `"running"`, `"restarting"` (dead, waiting out the restart back-off),
   * `"stopping"` or `"stopped"`.
   */
  state: string;
}

type SlotState = "starting" | "running" | "restarting" | "stopping" | "stopped";

interface Slot {
  workerId: number;
  handle: WorkerHandle | undefined;
  restarts: number;
  state: SlotState;
  tracker: RestartTracker;
}

interface Spec {
  ref: PlainServiceRef;
  /** The child's flags (process isolation). */
  denoArgs: readonly string[];
  workers: number;
  slots: Slot[];
  standby: WorkerHandle | undefined;
}

// The worker handles, and the isolate host under them, load when the first service is launched
// (alongside the parent's import of the service module), not when fjord is imported: most
// processes that import fjord never start a worker (a worker itself, a test, a tool).
let workerHandles: typeof import("./_worker_handle.ts") | undefined;
let loadingWorkerHandles: Promise<void> | undefined;

function loadWorkerHandles(): Promise<void> {
  return loadingWorkerHandles ??= import("./_worker_handle.ts").then((m) => {
    workerHandles = m;
  });
}

function denoExecPath(): string {
  try {
    return Deno.execPath();
  } catch {
    return "deno";
  }
}

// Misspelt, a key kept its default silently (`standy: true` ran without a standby worker). A
// record, not a list: the type checker then says when an option is added and not listed here.
const PROCESS_LAUNCHER_KEYS = Object.keys(
  {
    restartMethod: true,
    noFork: true,
    isolation: true,
    denoArgs: true,
    clock: true,
    restart: true,
    health: true,
    migrateRequests: true,
    standby: true,
  } satisfies Record<keyof ProcessLauncherOptions, true>,
);

/**
 * Runs a service in `workers` supervised workers. Each worker imports the
 * {@linkcode ServiceRef}'s module itself and builds the service with its own `workerId` and its
 * own `Config` loaded from the sources the launcher's was loaded from.
 *
 * - A worker that dies (return, exit, signal, uncaught error or rejection, `start()` or `wait()`
 *   throwing) is logged with its cause and exit code and respawned with the same `workerId`:
 *   at once the first time, then after a growing delay while it keeps dying; beyond the
 *   `restart` policy's intensity (default: more than 10 restarts within 60 s) the launcher
 *   stops every other worker, logs a {@linkcode RestartIntensityError} and `wait()` resolves 2.
 * - The first `launchService()` installs the signal handlers (so a SIGTERM while the workers
 *   start stops them instead of killing this process), `wait()` when there was none; they are
 *   removed once every worker is gone. SIGTERM stops every worker gracefully (SIGTERM to a
 *   child, a stop message to a Web Worker) and resolves 0, or 1 when `graceful_shutdown_timeout`
 *   expires (stragglers are killed); SIGINT kills every worker and resolves 1; SIGHUP with
 *   `reload` replaces the workers one at a time (each new one has started before its old one is
 *   stopped; one that has not started within `graceful_shutdown_timeout` is killed and the old
 *   one kept, with an error logged), with `mutate` makes every worker apply mutable options and
 *   call `reset()`.
 * - Child processes stop gracefully when this process dies (their stdin closes), each within
 *   `graceful_shutdown_timeout` (0: no limit). On Linux, one that cannot notice (stuck in a
 *   synchronous loop) is SIGKILLed a second after that by a `/bin/sh` this process starts beside
 *   its children (it needs permission to run `/bin/sh`; a scoped `--allow-run` without it leaves
 *   such a child running).
 * - Limitation (Deno 2.9, denoland/deno#35657): a Web Worker stuck in a synchronous loop keeps
 *   running after it is terminated. Past `graceful_shutdown_timeout` (or on SIGINT) the launcher
 *   gives up on it and carries on, but its thread keeps a core busy and keeps the process alive
 *   until `Deno.exit()`; use `isolation: "process"` for a service that may spin (a child is
 *   SIGKILLed at the timeout, and after this process's death as above).
 * - A rolling reload loses no request when the service drains (stops accepting, answers what it
 *   accepted, then exits): the launcher turns on `net.ipv4.tcp_migrate_req` so that a closing
 *   `reusePort` listener hands its queued connections to another worker (see
 *   `migrateRequests`).
 * - systemd: `READY=1` once every worker started, `STOPPING=1` when stopping, `WATCHDOG=1`
 *   every `WATCHDOG_USEC / 2` while no worker waits out a restart back-off (when
 *   `$WATCHDOG_USEC` is set and `$WATCHDOG_PID` is unset or this process). `health` adds
 *   `GET /healthz` and `GET /readyz` for probes.
 *
 * @example
 * ```ts ignore
 * import { ProcessLauncher } from "@fjord/fjord";
 *
 * const launcher = new ProcessLauncher(undefined, { isolation: "worker" });
 * launcher.launchService({ module: new URL("./api.ts", import.meta.url) }, { workers: 4 });
 * Deno.exit(await launcher.wait());
 * ```
 *
 * @example A restart policy and a health endpoint
 * ```ts ignore
 * import { ProcessLauncher } from "@fjord/fjord";
 *
 * const launcher = new ProcessLauncher(undefined, {
 *   restart: { maxRestarts: 5, window: 30_000, backoff: { initial: 200, max: 10_000 } },
 *   health: { port: 8081 }, // GET 127.0.0.1:8081/readyz
 * });
 * launcher.launchService({ module: new URL("./api.ts", import.meta.url) }, { workers: 4 });
 * Deno.exit(await launcher.wait()); // 2 after a RestartIntensityError
 * ```
 *
 * @example `noFork`: the service runs in this isolate
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProcessLauncher, Service } from "@fjord/fjord";
 *
 * const launcher = new ProcessLauncher(undefined, { noFork: true });
 * launcher.launchService(new Service());
 * assert.equal(launcher.workers[0]?.pid, Deno.pid);
 * await launcher.stop();
 * assert.equal(await launcher.wait(), 0);
 * assert.equal(launcher.workers[0]?.state, "stopped");
 * ```
 */
export class ProcessLauncher implements AsyncDisposable {
  #conf: Config | undefined;
  #restartMethod: RestartMethod;
  #clock: Clock;
  #isolation: "worker" | "process";
  #denoArgsOption: string[] | undefined;
  #standby: boolean;
  #inner: ServiceLauncher | undefined;
  #specs: Spec[] = [];
  #handles = new Set<WorkerHandle>();
  #tasks = new Set<Promise<unknown>>();
  #state: "running" | "stopping" | "stopped" = "running";
  #ac = new AbortController();
  #exit = Promise.withResolvers<number>();
  readonly #signals = new SignalHold();
  #exited = false;
  #forcedCode: number | undefined;
  #stopping: Promise<void> | undefined;
  #waiting: Promise<number> | undefined;
  #fatal: { error: unknown } | undefined;
  #reloading: Promise<void> = Promise.resolve();
  #notifications: Promise<unknown>[] = [];
  #readyNotified = false;
  #policy: ResolvedRestartPolicy;
  #healthOptions: Required<HealthEndpointOptions> | undefined;
  #health: HealthServer | undefined;
  #healthClosed: Promise<void> | undefined;
  #migrateRequests: boolean;
  #migrateDone = false;

  /**
   * Creates a launcher (selects the backend, whose `launcherIsolation` is the default) and,
   * with `health`, starts the health endpoint.
   *
   * @param conf The configuration (fjord's service options are registered on it).
   * @param options See {@linkcode ProcessLauncherOptions}.
   * @throws {TypeError} When `options` is not an object, `conf` is not a Config, or an option has
   *   the wrong type or value.
   * @throws {RangeError} When a `restart` field or `health.port` is out of range.
   * @throws {Deno.errors.AddrInUse} When the health endpoint's address is taken.
   * @throws {Deno.errors.NotCapable} With `health` but without `--allow-net` for its address.
   */
  constructor(conf?: Config, options: ProcessLauncherOptions = {}) {
    checkOptionsObject(options, "create ProcessLauncher");
    checkKnownKeys(options, "create ProcessLauncher", "options", PROCESS_LAUNCHER_KEYS);
    selectBackendType();
    this.#restartMethod = checkRestartMethod(options.restartMethod ?? "reload");
    checkClock(options.clock, "create ProcessLauncher");
    this.#clock = options.clock ?? systemClock;
    this.#policy = resolveRestartPolicy(options.restart);
    this.#healthOptions = checkHealthOptions(options.health);
    // A truthy string ("false" from an environment variable) must not turn an option on.
    for (const name of ["migrateRequests", "standby", "noFork"] as const) {
      checkBooleanOption(options[name], "create ProcessLauncher", name);
    }
    this.#migrateRequests = options.migrateRequests ?? true;
    const isolation = options.isolation ?? selectedIsolation().launcherIsolation;
    if (isolation !== "worker" && isolation !== "process") {
      throw new TypeError(
        `Cannot create ProcessLauncher as 'isolation' must be "worker" or "process": current value is ${
          describeValue(isolation)
        }`,
      );
    }
    this.#isolation = isolation;
    if (
      options.denoArgs !== undefined &&
      (!Array.isArray(options.denoArgs) || options.denoArgs.some((a) => typeof a !== "string"))
    ) {
      throw new TypeError(
        `Cannot create ProcessLauncher as 'denoArgs' must be an array of strings: current value is ${
          describeValue(options.denoArgs)
        }`,
      );
    }
    this.#denoArgsOption = options.denoArgs === undefined ? undefined : [...options.denoArgs];
    this.#standby = options.standby ?? false;
    this.#conf = conf;
    prepareConf(conf);
    if (options.noFork) {
      this.#inner = new ServiceLauncher(conf, {
        restartMethod: this.#restartMethod,
        clock: this.#clock,
      });
    }
    if (this.#healthOptions !== undefined) {
      this.#health = serveHealth(this.#healthOptions, () => this.#healthReport());
    }
  }

  /** The health endpoint's address (with its actual port), or `undefined` without `health`. */
  get healthAddress(): Deno.NetAddr | undefined {
    return this.#health?.addr;
  }

  /** The workers (one entry per worker slot), as a snapshot. */
  get workers(): readonly WorkerInfo[] {
    if (this.#inner !== undefined) {
      return Object.freeze([
        Object.freeze({
          workerId: 0,
          pid: Deno.pid,
          restarts: 0,
          // Not "running" before its service has started.
          state: this.#state === "running" && !launcherReady(this.#inner)
            ? "starting"
            : this.#state as string,
        }),
      ]);
    }
    return Object.freeze(this.#specs.flatMap((spec) =>
      spec.slots.map((slot) =>
        Object.freeze({
          workerId: slot.workerId,
          pid: slot.handle?.pid,
          restarts: slot.restarts,
          state: slot.state,
        })
      )
    ));
  }

  /**
   * Starts `workers` workers running the referenced service. The module is first imported
   * here to check the export; the workers start once it has been.
   *
   * @param s A reference to the service (an instance only with `noFork`).
   * @param options `workers`: how many (default 1).
   * @throws {TypeError} When `s` is not a well-formed ServiceRef (or an instance without
   *   `noFork`), its `args` cannot reach the workers as given (structured-cloneable for Web
   *   Workers, JSON-safe for processes), or `workers` is not an integer.
   * @throws {RangeError} When `workers` < 1.
   * @throws {Deno.errors.NotCapable} With process isolation when `--allow-run` is missing.
   * @throws {DOMException} `InvalidStateError` when the launcher is stopping or stopped.
   */
  launchService(s: ServiceRef | ServiceBase, options: { workers?: number } = {}): void {
    checkOptionsObject(options, "launch service");
    const workers = checkWorkers(options.workers, "launch service") ?? 1;
    if (this.#inner !== undefined) {
      if (workers > 1) {
        getLogger().warning(
          `noFork: running the service in this isolate (workers=${workers} ignored)`,
        );
      }
      this.#inner.launchService(s);
      return;
    }
    if (!isServiceRef(s) || typeof (s as { start?: unknown }).start === "function") {
      throw new TypeError(
        `Cannot launch service as a ProcessLauncher needs a ServiceRef ({ module, export?, args? }) unless noFork is set: current value is ${
          describeValue(s)
        }`,
      );
    }
    if (this.#state !== "running") {
      throw new DOMException(
        `Cannot launch service as the launcher is ${this.#state}`,
        "InvalidStateError",
      );
    }
    const ref = normalizeServiceRef(s);
    checkServiceArgs(ref.args, this.#isolation);
    const denoArgs = this.#isolation === "process" ? this.#checkProcessIsolation(ref) : [];
    const spec: Spec = {
      ref,
      denoArgs,
      workers,
      slots: Array.from({ length: workers }, (_, workerId) => ({
        workerId,
        handle: undefined,
        restarts: 0,
        state: "starting" as SlotState,
        tracker: new RestartTracker(this.#policy, this.#clock),
      })),
      standby: undefined,
    };
    this.#specs.push(spec);
    this.#holdSignals();
    getLogger().info(`Starting ${workers} worker${workers === 1 ? "" : "s"}`);
    const handles = loadWorkerHandles();
    const spawnAll = (): void => {
      if (this.#state !== "running") return;
      for (const slot of spec.slots) this.#spawnNow(spec, slot, false);
      // The standby starts once the workers have: on a small machine it would compete with them
      // for the CPU, and it only speeds up later respawns.
      const started = spec.slots.map((slot) => slot.handle?.started);
      void Promise.allSettled(started).then(() => this.#refreshStandby(spec));
    };
    this.#track(checkThenSpawn(ref, (error) => this.#onFatal(error), () => {
      // Usually loaded by now: it started loading before the service module's check.
      if (workerHandles !== undefined) spawnAll();
      else this.#track(handles.then(spawnAll));
    }));
  }

  /**
   * Waits until the launcher has stopped, handling SIGTERM, SIGINT and SIGHUP meanwhile and
   * keeping the process alive. Calling it again returns the same promise.
   *
   * @returns The exit code: 0 graceful, 1 SIGINT or graceful timeout, 2 when a worker exceeded
   *   the restart intensity (a {@linkcode RestartIntensityError} was logged) or, with `noFork`,
   *   the service failed.
   * @throws {ServiceNotFoundError} When a launched ServiceRef could not be loaded.
   */
  wait(): Promise<number> {
    const inner = this.#inner;
    if (inner !== undefined) {
      this.#waiting ??= (async () => {
        const stopWatchdog = startWatchdog(() => this.#state === "running", this.#clock);
        try {
          return await inner.wait();
        } finally {
          this.#state = "stopped";
          await stopWatchdog();
          await this.#closeHealth();
        }
      })();
      return this.#waiting;
    }
    this.#waiting ??= this.#runWait();
    return this.#waiting;
  }

  /**
   * Stops every worker gracefully (bounded by `graceful_shutdown_timeout`, then killed);
   * `wait()` then resolves 0 (1 after a timeout). Calling it again returns the same promise.
   *
   * @returns A promise that resolves when no worker is left.
   */
  stop(): Promise<void> {
    if (this.#inner !== undefined) {
      if (this.#state === "running") this.#state = "stopping";
      return this.#inner.stop().finally(async () => {
        this.#state = "stopped";
        await this.#closeHealth();
      });
    }
    return this.#shutdown(true, 0);
  }

  /**
   * What SIGHUP does: `reload` re-reads the config and replaces the workers one at a time;
   * `mutate` makes each worker apply mutable options and call `reset()`.
   *
   * @returns A promise that resolves when done.
   */
  restart(): Promise<void> {
    if (this.#inner !== undefined) return this.#inner.restart();
    this.#reloading = this.#reloading.then(() => this.#doReload()).catch((error) => {
      getLogger().error("Reload failed; the old workers keep running", error);
    });
    return this.#reloading;
  }

  /** Stops, then waits for the stop to finish. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
    if (this.#inner === undefined) await this.#exit.promise;
  }

  #checkProcessIsolation(ref: PlainServiceRef): string[] {
    const deno = denoExecPath();
    if (!permitted({ name: "run", command: deno })) {
      throw new Deno.errors.NotCapable(
        `Cannot launch process workers as running '${deno}' is not allowed: grant --allow-run (or --allow-run=${deno}), or use isolation: "worker"`,
      );
    }
    if (this.#denoArgsOption !== undefined) return this.#denoArgsOption;
    const args = inheritedPermissionFlags();
    if (!args.includes("--allow-read")) {
      const paths: string[] = [];
      if (ref.module.startsWith("file:")) {
        // The module's directory when this process may read it: the service's own relative
        // imports (`./helper.ts`) live there, and the module alone made them fail in every child.
        const file = decodeURIComponent(new URL(ref.module).pathname);
        const dir = file.slice(0, file.lastIndexOf("/")) || "/";
        paths.push(permitted({ name: "read", path: dir }) ? dir : file);
      }
      const conf = this.#conf;
      if (conf !== undefined) paths.push(...conf.configFiles, ...conf.sources.dirs);
      if (paths.length > 0) args.push(`--allow-read=${paths.join(",")}`);
    }
    return args;
  }

  #track(task: Promise<unknown>): void {
    const p = task.catch((error) => this.#onFatal(error));
    this.#tasks.add(p);
    void p.finally(() => this.#tasks.delete(p));
  }

  #onFatal(error: unknown): void {
    getLogger().error("Cannot launch service", error);
    this.#fatal ??= { error };
    void this.#shutdown(false, 2);
  }

  #spawn(spec: Spec, workerId: number | undefined): WorkerHandle {
    const init: LauncherWorkerInit = {
      ref: spec.ref,
      workerId,
      config: configSources(this.#conf),
      backend: selectedBackendType(),
      gracefulTimeoutMs: gracefulTimeoutMs(this.#conf),
    };
    const handle = this.#isolation === "worker"
      ? new workerHandles!.WebWorkerHandle(
        init,
        `fjord ${spec.ref.export} ${workerId ?? "standby"}`,
      )
      : new workerHandles!.ProcessHandle(init, denoExecPath(), spec.denoArgs);
    this.#handles.add(handle);
    void handle.exited.then(() => this.#handles.delete(handle));
    return handle;
  }

  // A dead worker, as soon as it is known to be dead: restart it at once when the policy says so
  // (before its last output has drained: the replacement's start-up is the longer wait), then,
  // once it has drained, log how it ended and restart it after the back-off or give up.
  #onDeath(spec: Spec, slot: Slot, handle: WorkerHandle): void {
    const decision = slot.tracker.onDeath();
    if (decision.restart) slot.restarts++;
    if (decision.restart && decision.delay === 0) {
      // Synchronous: the replacement is under way before anything else runs.
      this.#spawnNow(spec, slot, true);
    } else {
      slot.state = decision.restart ? "restarting" : "stopped";
    }
    void handle.exited.then((info) => this.#onExit(spec, slot, handle, info, decision));
  }

  #onExit(
    spec: Spec,
    slot: Slot,
    handle: WorkerHandle,
    info: ExitInfo,
    decision: RestartDecision,
  ): void {
    const who = handle.pid === undefined ? "" : ` (pid ${handle.pid})`;
    const status = info.signal !== undefined
      ? `signal ${info.signal}`
      : info.code !== undefined
      ? `exit code ${info.code}`
      : "no exit code";
    const death = `Worker ${slot.workerId} of ${spec.ref.export}${who} ${info.reason} [${status}]`;
    if (!decision.restart) {
      const error = new RestartIntensityError(
        slot.workerId,
        decision.restarts,
        this.#policy.window,
        info.reason,
        { service: spec.ref.export },
      );
      getLogger().error(`${death}; giving up`);
      getLogger().error(error.message, error);
      void this.#shutdown(true, 2);
      return;
    }
    const n =
      `restart ${decision.restarts} of at most ${this.#policy.maxRestarts} within ${this.#policy.window} ms`;
    if (decision.delay === 0) {
      getLogger().warning(`${death}; respawned at once (${n})`);
      return;
    }
    if (this.#state !== "running") {
      slot.state = "stopped";
      return;
    }
    getLogger().warning(`${death}; respawned in ${decision.delay} ms (${n})`);
    getLogger().info(`Forking too fast, sleeping ${decision.delay} ms`);
    this.#track((async () => {
      await this.#clock.sleep(decision.delay, { signal: this.#ac.signal }).catch(() => {});
      this.#spawnNow(spec, slot, true);
    })());
  }

  #spawnNow(spec: Spec, slot: Slot, respawn: boolean): void {
    if (this.#state !== "running") {
      slot.state = "stopped";
      return;
    }
    slot.state = "starting";
    const standby = spec.standby;
    let handle: WorkerHandle;
    if (respawn && standby !== undefined && standby.alive) {
      spec.standby = undefined;
      handle = standby;
      handle.promote(slot.workerId);
      // Replaced once it has started, or failed to (the slot's policy then handles the worker).
      void handle.started.finally(() => this.#refreshStandby(spec)).catch(() => {});
    } else {
      try {
        handle = this.#spawn(spec, slot.workerId);
      } catch (error) {
        this.#onFatal(error);
        return;
      }
    }
    this.#attach(spec, slot, handle);
  }

  #attach(spec: Spec, slot: Slot, handle: WorkerHandle): void {
    slot.handle = handle;
    void handle.started.then(() => {
      if (slot.handle === handle && this.#state === "running") {
        slot.state = "running";
        this.#checkReady();
      }
    }, () => {});
    void handle.gone.then(() => {
      if (slot.handle !== handle) return;
      slot.handle = undefined;
      if (this.#state !== "running") {
        slot.state = "stopped";
        return;
      }
      this.#onDeath(spec, slot, handle);
    });
  }

  #refreshStandby(spec: Spec): void {
    if (!this.#standby || this.#state !== "running") return;
    if (spec.standby !== undefined && spec.standby.alive) return;
    let handle: WorkerHandle;
    try {
      handle = this.#spawn(spec, undefined);
    } catch (error) {
      // Only a speed-up is lost; deaths are still replaced by fresh workers.
      getLogger().warning("Cannot start a standby worker", error);
      return;
    }
    spec.standby = handle;
    void handle.exited.then((exit) => {
      if (spec.standby !== handle) return; // promoted, or stopped by a reload
      spec.standby = undefined;
      if (this.#state !== "running") return;
      // Killed, crashed or failed to load: another one, a moment later (not in a tight loop
      // when every standby fails the same way).
      getLogger().warning(
        `The standby worker of ${spec.ref.export} died: ${exit.reason}; starting another`,
      );
      this.#track((async () => {
        await this.#clock.sleep(STANDBY_RESPAWN_MS, { signal: this.#ac.signal }).catch(() => {});
        this.#refreshStandby(spec);
      })());
    });
  }

  #checkReady(): void {
    if (this.#readyNotified) return;
    const all = this.#specs.every((spec) => spec.slots.every((slot) => slot.state === "running"));
    if (!all) return;
    this.#readyNotified = true;
    this.#notify(notifyReady);
    this.#enableMigrate();
  }

  // May run `sysctl` synchronously (when /proc/sys is not writable here): done once the workers
  // have started, or before the first reload (the one that needs it), not while they start.
  #enableMigrate(): void {
    // Once: a second call would read the setting again (another sysctl run).
    if (!this.#migrateRequests || this.#migrateDone) return;
    this.#migrateDone = true;
    enableTcpMigrateReq();
  }

  #notify(fn: () => Promise<boolean>): void {
    this.#notifications.push(fn().catch(() => false));
  }

  async #doReload(): Promise<void> {
    if (this.#state !== "running") return;
    this.#enableMigrate();
    await Promise.all(this.#tasks);
    await refreshConf(this.#conf, this.#restartMethod);
    if (this.#restartMethod === "mutate") {
      for (const spec of this.#specs) {
        for (const slot of spec.slots) slot.handle?.mutate();
        spec.standby?.mutate(); // promoted later, it must not start with the old options
      }
      return;
    }
    const timeoutMs = gracefulTimeoutMs(this.#conf);
    for (const spec of this.#specs) {
      // A deliberate reload is no crash: the intensity counts start afresh.
      for (const slot of spec.slots) slot.tracker.reset();
      const oldStandby = spec.standby;
      spec.standby = undefined;
      if (oldStandby !== undefined) await oldStandby.stop(timeoutMs, this.#clock);
      for (const slot of spec.slots) {
        if (this.#state !== "running") return;
        const old = slot.handle;
        if (old === undefined) continue; // being respawned: it gets the new config anyway
        const fresh = this.#spawn(spec, slot.workerId);
        const started = await this.#startedWithin(fresh, timeoutMs);
        if (this.#state !== "running") return;
        if (started !== "started") {
          const what = started === "failed"
            ? "failed to start"
            : `has not started within ${timeoutMs} ms (graceful_shutdown_timeout), so it is killed`;
          // Why it failed, with the error its start() threw (or how its isolate ended).
          const why = started === "failed" ? [await fresh.started.catch((e: unknown) => e)] : [];
          getLogger().error(
            `Reload: the new worker ${slot.workerId} of ${spec.ref.export} ${what}; keeping the old one`,
            ...why,
          );
          if (started === "late") {
            fresh.kill();
            await fresh.exited;
          }
          continue;
        }
        if (slot.handle !== old) {
          // The old worker died meanwhile and was respawned with the new config already.
          await fresh.stop(timeoutMs, this.#clock);
          continue;
        }
        this.#attach(spec, slot, fresh);
        slot.state = "running";
        await old.stop(timeoutMs, this.#clock);
      }
      this.#refreshStandby(spec);
    }
  }

  // A replacement that never starts (a start() that hangs, a frozen process) must not hold the
  // reload, and with it every later SIGHUP, forever: the old worker keeps serving, and past
  // graceful_shutdown_timeout (0: no limit) the new one is given up on. "late" also when the
  // launcher stops meanwhile (the caller checks the state first).
  async #startedWithin(
    handle: WorkerHandle,
    timeoutMs: number,
  ): Promise<"started" | "failed" | "late"> {
    const started = handle.started.then(() => "started" as const, () => "failed" as const);
    if (timeoutMs <= 0) return await started;
    const done = new AbortController();
    const signal = AbortSignal.any([done.signal, this.#ac.signal]);
    const late = this.#clock.sleep(timeoutMs, { signal }).then(
      () => "late" as const,
      () => "late" as const,
    );
    try {
      return await Promise.race([started, late]);
    } finally {
      done.abort();
    }
  }

  #shutdown(graceful: boolean, code: number): Promise<void> {
    if (!graceful) {
      if (this.#stopping !== undefined) this.#forcedCode ??= code;
      for (const handle of this.#handles) handle.kill();
    }
    this.#stopping ??= this.#doStop(graceful, code);
    return this.#stopping;
  }

  async #doStop(graceful: boolean, code: number): Promise<void> {
    this.#state = "stopping";
    this.#ac.abort();
    this.#notify(notifyStopping);
    for (const spec of this.#specs) for (const slot of spec.slots) slot.state = "stopping";
    const timeoutMs = gracefulTimeoutMs(this.#conf);
    let clean = true;
    // Spawns and reloads in flight see the state and add no more workers once they settle.
    do {
      const handles = [...this.#handles];
      if (graceful) {
        const results = await Promise.all(
          handles.map((h) => h.stop(timeoutMs, this.#clock)),
        );
        if (!results.every(Boolean)) clean = false;
        // A worker whose stop() failed reports it and exits non-zero: as ServiceLauncher, the
        // launcher says so and ends 2 (deaths are no longer watched once stopping: it was lost).
        // Only stop()'s own failure: a worker crashing anyway as the stop came is not this.
        for (const [i, h] of handles.entries()) {
          if (!results[i]) continue;
          const exit = await h.exited;
          if (exit.failedIn !== "stop" || exit.code === 0) continue;
          getLogger().error(`A worker failed while stopping: ${exit.reason}`);
          if (code === 0) code = 2;
        }
      } else {
        for (const h of handles) h.kill();
        await Promise.all(handles.map((h) => h.exited));
      }
      await Promise.all([...this.#tasks, this.#reloading]);
    } while (this.#handles.size > 0 || this.#tasks.size > 0);
    if (!clean) {
      getLogger().error("Graceful shutdown timeout exceeded, instantaneous exiting");
      if (code === 0) code = 1;
    }
    for (const spec of this.#specs) for (const slot of spec.slots) slot.state = "stopped";
    this.#state = "stopped";
    await this.#closeHealth();
    await Promise.all(this.#notifications);
    this.#finish(this.#forcedCode ?? code);
  }

  #finish(code: number): void {
    if (this.#exited) return;
    this.#exited = true;
    this.#signals.release();
    this.#exit.resolve(code);
  }

  // Installed by the first launchService() (a SIGTERM while workers start must stop them, not
  // kill this process with the default action) or by wait(); released once every worker is gone.
  #holdSignals(): void {
    if (this.#exited) return;
    this.#signals.take(() => ({
      SIGTERM: () => {
        if (this.#stopping !== undefined) return; // further SIGTERMs are ignored
        getLogger().info("Caught SIGTERM, stopping children");
        void this.#shutdown(true, 0);
      },
      SIGINT: () => {
        getLogger().info("Caught SIGINT signal, instantaneous exiting");
        void this.#shutdown(false, 1);
      },
      SIGHUP: () => {
        getLogger().info(
          `Caught SIGHUP, ${this.#restartMethod === "reload" ? "replacing" : "resetting"} workers`,
        );
        void this.restart();
      },
    }));
  }

  async #runWait(): Promise<number> {
    // Held even when already stopping: SIGINT still kills the workers.
    this.#holdSignals();
    const stopWatchdog = startWatchdog(() => this.#healthy(), this.#clock);
    try {
      if (this.#state === "running") maybeLogOptions(this.#conf);
      const code = await this.#exit.promise;
      if (this.#fatal !== undefined) throw this.#fatal.error;
      return code;
    } finally {
      this.#signals.release();
      await stopWatchdog();
      await this.#stopping;
    }
  }

  // Healthy for the watchdog: running, and no worker waiting out a restart back-off.
  #healthy(): boolean {
    return this.#state === "running" &&
      this.#specs.every((spec) => spec.slots.every((slot) => slot.state !== "restarting"));
  }

  #healthReport(): {
    state: string;
    live: boolean;
    ready: boolean;
    workers: readonly WorkerInfo[];
  } {
    const workers = this.workers;
    const running = this.#state === "running";
    const ready = running &&
      (this.#inner !== undefined
        ? launcherReady(this.#inner)
        : this.#specs.length > 0 && workers.every((w) => w.state === "running"));
    return { state: this.#state, live: running, ready, workers };
  }

  #closeHealth(): Promise<void> {
    const health = this.#health;
    if (health === undefined) return Promise.resolve();
    this.#healthClosed ??= health.close().catch((error) => {
      getLogger().warning("Cannot close the health endpoint", error);
    });
    return this.#healthClosed;
  }
}
