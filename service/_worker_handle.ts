// The launcher's side of one worker: a Web Worker ("worker" isolation) or a child Deno process
// ("process" isolation), behind one interface.

import type { Clock } from "../runtime/clock.ts";
import { deserializeError } from "../runtime/_error_transfer.ts";
import { spawnFjordWorker, terminateFjordWorker } from "../runtime/_fjord_worker.ts";
import { pumpChildStdout } from "../runtime/_child_io.ts";
import type { FromWorker, LauncherWorkerInit, ToWorker } from "./_launcher_runtime.ts";

/** How a worker ended. */
export interface ExitInfo {
  /** For the log: "exited with status 2 (start() failed: Error: boom)". */
  reason: string;
  code: number | undefined;
  signal: string | undefined;
}

/** One running worker. */
export interface WorkerHandle {
  readonly pid: number | undefined;
  /** Resolves when the service's start() resolved; rejects if the worker died first. */
  readonly started: Promise<void>;
  /** Resolves when the worker is gone. */
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

abstract class BaseHandle implements WorkerHandle {
  abstract readonly pid: number | undefined;
  readonly #started = Promise.withResolvers<void>();
  readonly #exited = Promise.withResolvers<ExitInfo>();
  #alive = true;
  #lastError: string | undefined;

  constructor() {
    // Callers may never look at these; a death must not become an unhandled rejection.
    this.#started.promise.catch(() => {});
  }

  get started(): Promise<void> {
    return this.#started.promise;
  }
  get exited(): Promise<ExitInfo> {
    return this.#exited.promise;
  }
  get alive(): boolean {
    return this.#alive;
  }

  protected abstract send(cmd: ToWorker): void;
  abstract kill(): void;
  protected abstract askStop(): void;

  promote(workerId: number): void {
    this.send({ op: "start", workerId });
  }

  mutate(): void {
    this.send({ op: "mutate" });
  }

  async stop(timeoutMs: number, clock: Clock): Promise<boolean> {
    if (!this.#alive) return true;
    this.askStop();
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

  protected onEvent(msg: FromWorker): void {
    switch (msg.ev) {
      case "started":
        this.#started.resolve();
        break;
      case "error": {
        const err = deserializeError(msg.error);
        this.#lastError = msg.phase === "uncaught"
          ? `uncaught ${err.name}: ${err.message}`
          : `${msg.phase}() failed: ${err.name}: ${err.message}`;
        break;
      }
      default:
        break;
    }
  }

  protected died(info: Omit<ExitInfo, "reason"> & { reason: string }): void {
    if (!this.#alive) return;
    this.#alive = false;
    const reason = this.#lastError === undefined
      ? info.reason
      : `${info.reason} (${this.#lastError})`;
    const error = new Error(`Worker ${reason}`);
    this.#started.reject(error);
    this.#exited.resolve({ ...info, reason });
  }
}

const WORKER_ENTRY = new URL("./_launcher_worker.ts", import.meta.url);

/** A worker in "worker" isolation: a module Web Worker. */
export class WebWorkerHandle extends BaseHandle {
  readonly pid: number | undefined = undefined;
  #worker: Worker;

  constructor(init: LauncherWorkerInit, name: string) {
    super();
    this.#worker = spawnFjordWorker(WORKER_ENTRY, { name, data: init });
    this.#worker.onmessage = (event: MessageEvent<FromWorker>) => {
      const msg = event.data;
      if (msg.ev === "exit") {
        terminateFjordWorker(this.#worker);
        this.died({ reason: `exited with status ${msg.code}`, code: msg.code, signal: undefined });
      } else {
        this.onEvent(msg);
      }
    };
    this.#worker.onerror = (event: ErrorEvent) => {
      // Handled here: an error in a worker must not take the launcher down.
      event.preventDefault();
      terminateFjordWorker(this.#worker);
      this.died({ reason: `threw ${event.message}`, code: undefined, signal: undefined });
    };
    this.#worker.onmessageerror = () => {
      terminateFjordWorker(this.#worker);
      this.died({ reason: "sent an unreadable message", code: undefined, signal: undefined });
    };
  }

  protected send(cmd: ToWorker): void {
    if (this.alive) this.#worker.postMessage(cmd);
  }

  protected askStop(): void {
    this.send({ op: "stop", graceful: true });
  }

  kill(): void {
    terminateFjordWorker(this.#worker);
    this.died({ reason: "terminated", code: undefined, signal: undefined });
  }
}

const CHILD_ENTRY = new URL("./_launcher_child.ts", import.meta.url).href;
const encoder = new TextEncoder();

/** A worker in "process" isolation: `deno run` of the child bootstrap. */
export class ProcessHandle extends BaseHandle {
  readonly pid: number;
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;

  constructor(init: LauncherWorkerInit, denoPath: string, denoArgs: readonly string[]) {
    super();
    this.#child = new Deno.Command(denoPath, {
      args: ["run", ...denoArgs, CHILD_ENTRY],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.pid = this.#child.pid;
    this.#writer = this.#child.stdin.getWriter();
    this.#write(JSON.stringify(init));
    const pump = pumpChildStdout(this.#child.stdout, (msg) => this.onEvent(msg as FromWorker))
      .catch(() => {});
    void this.#child.status.then(async (status) => {
      // A killed child wrote nothing more worth waiting for; an exit may have left its
      // error event in the pipe, which names the reason.
      if (status.signal === null) await pump;
      void this.#writer.close().catch(() => {});
      this.died({
        reason: status.signal !== null
          ? `killed by signal ${status.signal}`
          : `exited with status ${status.code}`,
        code: status.signal !== null ? undefined : status.code,
        signal: status.signal ?? undefined,
      });
    });
  }

  #write(line: string): void {
    this.#writer.write(encoder.encode(line + "\n")).catch(() => {});
  }

  protected send(cmd: ToWorker): void {
    if (this.alive) this.#write(JSON.stringify(cmd));
  }

  protected askStop(): void {
    // The child's SIGTERM handler stops its service gracefully (or ends a standby).
    try {
      this.#child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
  }

  kill(): void {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }
}
