// What runs inside a launcher worker (a Web Worker or a child process): load the worker's own
// Config and the service, start it, report, and obey the parent's commands. The transport is the
// isolate guest's (_launcher_entry.ts connects it).

import type { BackendType } from "../runtime/backend_type.ts";
import { type SerializedError, serializeError } from "../runtime/_error_transfer.ts";
import { getLogger } from "../runtime/logger.ts";
// Not _launcher_config.ts: a worker gets fjord's options in the snapshot and need not load them.
import { applySnapshot, configFromSnapshot, type ConfigSnapshot } from "../config/_snapshot.ts";
import { setCurrentWorker } from "./current_worker.ts";
import { buildService, loadServiceExport, type PlainServiceRef } from "./_service_ref.ts";
import type { ServiceBase } from "./service.ts";
import { SignalExit } from "./signal_exit.ts";
import type { Config } from "../config/mod.ts";

/** The init data a launcher worker receives. */
export interface LauncherWorkerInit {
  ref: PlainServiceRef;
  /** The worker id, or undefined for a standby worker that waits for a "start" command. */
  workerId: number | undefined;
  /** The parent's Config (or one with fjord's service options only). */
  config: ConfigSnapshot;
  backend: BackendType | undefined;
  /** Bounds a child's own graceful stop when its parent died (0 = forever). */
  gracefulTimeoutMs: number;
}

/** Parent → worker. */
export type ToWorker =
  | { op: "start"; workerId: number }
  | { op: "stop"; graceful: boolean }
  /** Apply `config` (the parent's values after its mutate), then reset(). */
  | { op: "mutate"; config: ConfigSnapshot | undefined };

/** Worker → parent. */
export type FromWorker =
  | { ev: "started" }
  | {
    ev: "error";
    phase: "load" | "start" | "wait" | "stop";
    error: SerializedError;
  };

const NEVER: Promise<never> = new Promise<never>(() => {});

/** Runs one service in this isolate on the parent's behalf. */
export class LauncherWorkerRuntime {
  #init: LauncherWorkerInit;
  #send: (msg: FromWorker) => void;
  #conf!: Config;
  #service: ServiceBase | undefined;
  #startCmd = Promise.withResolvers<number | undefined>();
  #stopReq = Promise.withResolvers<boolean>();
  #mutating: Promise<void> = Promise.resolve();

  constructor(init: LauncherWorkerInit, send: (msg: FromWorker) => void) {
    this.#init = init;
    this.#send = send;
  }

  /** Handles one command from the parent. */
  handle(cmd: ToWorker): void {
    switch (cmd.op) {
      case "start":
        this.#startCmd.resolve(cmd.workerId);
        break;
      case "stop":
        this.#startCmd.resolve(undefined);
        this.#stopReq.resolve(cmd.graceful);
        break;
      case "mutate":
        this.#mutating = this.#mutating.then(() => this.#mutate(cmd.config));
        break;
    }
  }

  /** Runs the service until stopped; resolves the worker's exit code. */
  async run(): Promise<number> {
    const init = this.#init;
    let target: unknown;
    try {
      this.#conf = configFromSnapshot(init.config);
      // A stop while the module still loads (a top-level await that has not settled) ends the
      // worker at once: there is no service to stop yet, and waiting for the module would hold
      // the launcher's stop until graceful_shutdown_timeout killed the worker.
      const loaded = await Promise.race([
        loadServiceExport(init.ref).then((value) => ({ value })),
        this.#stopReq.promise.then(() => undefined),
      ]);
      if (loaded === undefined) return 0;
      target = loaded.value;
    } catch (error) {
      return this.#fail("load", error);
    }
    let workerId = init.workerId;
    if (workerId === undefined) {
      workerId = await this.#startCmd.promise;
      if (workerId === undefined) return 0;
      await this.#mutating; // a promoted standby starts with the options mutated so far
    }
    let service: ServiceBase;
    try {
      setCurrentWorker({ workerId, conf: this.#conf });
      service = await buildService(init.ref, target, { workerId, conf: this.#conf });
      this.#service = service;
      await service.start();
    } catch (error) {
      return this.#fail("start", error);
    }
    this.#send({ ev: "started" });
    const waiting = Promise.resolve().then(() => service.wait());
    const outcome = await Promise.race([
      this.#stopReq.promise.then((graceful) => ({ graceful, error: undefined })),
      waiting.then(() => NEVER, (error: unknown) => ({ graceful: false, error })),
    ]);
    if (outcome.error !== undefined) {
      try {
        await service.stop({ graceful: false });
      } catch {
        // The wait() error is the one to report.
      }
      return this.#fail("wait", outcome.error);
    }
    try {
      await service.stop({ graceful: outcome.graceful });
      await waiting;
    } catch (error) {
      return this.#fail("stop", error);
    }
    return 0;
  }

  #fail(phase: "load" | "start" | "wait" | "stop", error: unknown): number {
    this.#send({ ev: "error", phase, error: serializeError(error) });
    return error instanceof SignalExit ? error.code : 2;
  }

  async #mutate(config: ConfigSnapshot | undefined): Promise<void> {
    try {
      if (config !== undefined) applySnapshot(this.#conf, config);
      await this.#service?.reset();
    } catch (error) {
      getLogger().error("Error resetting service on SIGHUP", error);
    }
  }
}
