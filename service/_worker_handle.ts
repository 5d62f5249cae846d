// The launcher's side of one worker: a Web Worker ("worker" isolation) or a child Deno process
// ("process" isolation), both run by the isolate host; what is launcher-specific here is the
// command set (start, stop, mutate) and how an end is told in the log.

// The cross-Worker lock tables, shared with every Worker started here.
import "../lock/_spawn.ts";
import type { Clock } from "../runtime/clock.ts";
import { deserializeError } from "../runtime/_error_revive.ts";
import {
  type IsolateExitCause,
  type IsolateHandle,
  type LogRecord,
  startIsolate,
} from "../runtime/_isolate_host.ts";
import type { FromWorker, LauncherWorkerInit, ToWorker } from "./_launcher_runtime.ts";
import { refreshSnapshot } from "./_launcher_config.ts";
import { getLogger } from "../runtime/logger.ts";
import { makeLogOrigin } from "../runtime/_log_origin.ts";

/** How a worker ended. */
export interface ExitInfo {
  /** For the log: "exited with status 2 (start() failed: Error: boom)". */
  reason: string;
  code: number | undefined;
  signal: string | undefined;
  /** Why it ended: return, throw, rejection, exit, close, signal, oom, terminated or lost. */
  cause?: IsolateExitCause;
  /** The service call the worker last reported failing, as `"stop"`. */
  failedIn?: string;
}

/** One running worker. */
export interface WorkerHandle {
  readonly pid: number | undefined;
  /** Resolves when the service's start() resolved; rejects if the worker died first. */
  readonly started: Promise<void>;
  /**
   * Resolves as soon as the worker is known to be dead, before `exited` (a child's last output
   * may still be draining): a replacement can start meanwhile.
   */
  readonly gone: Promise<void>;
  /** Resolves when the worker is gone (its output drained), with how it ended. */
  readonly exited: Promise<ExitInfo>;
  readonly alive: boolean;
  /** Starts a standby worker's service as `workerId`. */
  promote(workerId: number): void;
  /** Re-reads mutable options and calls reset(). */
  mutate(): void;
  /**
   * Asks the worker to stop gracefully; kills it when `timeoutMs` (0 = forever) passes first.
   * Resolves true when it stopped by itself.
   */
  stop(timeoutMs: number, clock: Clock): Promise<boolean>;
  /** Ends the worker at once. */
  kill(): void;
}

/** Where a worker runs and what to do with its log records. */
export interface WorkerHandleOptions {
  isolation: "worker" | "process";
  /** The Web Worker's name. */
  name?: string;
  /** Process isolation: the `deno` executable and the flags for `deno run`. */
  denoPath?: string;
  denoArgs?: readonly string[];
  /** A log record the worker forwarded. Default: the launcher's logger, with its origin. */
  onLog?(record: LogRecord): void;
  /** Process isolation: see the isolate host's `orphanGraceMs`. */
  orphanGraceMs?: number;
}

const ENTRY = new URL("./_launcher_entry.ts", import.meta.url);
const ORPHAN_MARGIN_MS = 1000;

/** A launcher worker in either isolation. */
export class IsolateWorkerHandle implements WorkerHandle {
  readonly #started = Promise.withResolvers<void>();
  readonly #exited: Promise<ExitInfo>;
  readonly #isolate: IsolateHandle<ToWorker>;
  readonly #init: LauncherWorkerInit;
  #lastError: string | undefined;
  #failedIn: string | undefined;
  #workerId: number | undefined;

  constructor(init: LauncherWorkerInit, options: WorkerHandleOptions) {
    // Callers may never look at it; a death must not become an unhandled rejection.
    this.#started.promise.catch(() => {});
    this.#init = init;
    this.#workerId = init.workerId;
    this.#isolate = startIsolate<ToWorker, FromWorker>({
      isolation: options.isolation,
      entry: ENTRY,
      data: init,
      ...(options.name !== undefined ? { name: options.name } : {}),
      ...(options.denoPath !== undefined ? { denoPath: options.denoPath } : {}),
      ...(options.denoArgs !== undefined ? { denoArgs: options.denoArgs } : {}),
      ...(options.orphanGraceMs !== undefined ? { orphanGraceMs: options.orphanGraceMs } : {}),
      onMessage: (msg) => this.#onEvent(msg),
      onLog: options.onLog ?? ((record) => this.#log(record)),
    });
    this.#exited = this.#isolate.exited.then((exit) => {
      const reason = this.#lastError === undefined
        ? exit.reason
        : `${exit.reason} (${this.#lastError})`;
      this.#started.reject(new Error(`Worker ${reason}`));
      return {
        reason,
        code: exit.code,
        signal: exit.signal,
        cause: exit.cause,
        ...(this.#failedIn !== undefined ? { failedIn: this.#failedIn } : {}),
      };
    });
  }

  get pid(): number | undefined {
    return this.#isolate.pid;
  }
  get started(): Promise<void> {
    return this.#started.promise;
  }
  get gone(): Promise<void> {
    return this.#isolate.gone;
  }
  get exited(): Promise<ExitInfo> {
    return this.#exited;
  }
  get alive(): boolean {
    return this.#isolate.alive;
  }

  promote(workerId: number): void {
    this.#workerId = workerId;
    this.#send({ op: "start", workerId });
  }

  mutate(): void {
    // The parent has applied the mutate to its Config: the worker takes its values from there.
    this.#send({ op: "mutate", config: refreshSnapshot(this.#init.config) });
  }

  async stop(timeoutMs: number, clock: Clock): Promise<boolean> {
    if (!this.alive) return true;
    this.#send({ op: "stop", graceful: true });
    if (timeoutMs <= 0) {
      await this.exited;
      return true;
    }
    const ac = new AbortController();
    const timedOut = clock.sleep(timeoutMs, { signal: ac.signal }).then(() => true, () => false);
    const clean = await Promise.race([this.exited.then(() => true), timedOut.then((t) => !t)]);
    ac.abort();
    if (!clean) {
      this.kill();
      await this.exited;
    }
    return clean;
  }

  kill(): void {
    this.#isolate.kill();
  }

  #log(record: LogRecord): void {
    const origin = makeLogOrigin({
      time: record.time,
      workerId: this.#workerId,
      pid: this.#isolate.pid,
      isolateId: this.#isolate.isolateId,
      service: this.#init.ref.export,
    });
    getLogger()[record.level](record.message, origin);
  }

  #send(cmd: ToWorker): void {
    if (this.alive) this.#isolate.post(cmd);
  }

  #onEvent(msg: FromWorker): void {
    if (msg.ev === "started") this.#started.resolve();
    else if (msg.ev === "error") {
      const err = deserializeError(msg.error);
      this.#lastError = `${msg.phase}() failed: ${err.name}: ${err.message}`;
      this.#failedIn = msg.phase;
    }
  }
}

/** A worker in "worker" isolation: a module Web Worker. */
export class WebWorkerHandle extends IsolateWorkerHandle {
  constructor(init: LauncherWorkerInit, name: string, onLog?: (record: LogRecord) => void) {
    super(init, { isolation: "worker", name, ...(onLog !== undefined ? { onLog } : {}) });
  }
}

/** A worker in "process" isolation: `deno run` of the launcher's entry module. */
export class ProcessHandle extends IsolateWorkerHandle {
  constructor(
    init: LauncherWorkerInit,
    denoPath: string,
    denoArgs: readonly string[],
    onLog?: (record: LogRecord) => void,
  ) {
    super(init, {
      isolation: "process",
      denoPath,
      denoArgs,
      ...(onLog !== undefined ? { onLog } : {}),
      // Past the worker's own bound on its stop once its parent died (_launcher_entry.ts): only
      // one that could not act on it (stuck in a synchronous loop) is still there to be killed.
      ...(init.gracefulTimeoutMs > 0
        ? { orphanGraceMs: init.gracefulTimeoutMs + ORPHAN_MARGIN_MS }
        : {}),
    });
  }
}
