// A service for the launcher tests: appends "<event> <workerId> <pid> <epoch ms> <instance>" lines to
// <dir>/events.log on start, stop, reset and wait, and misbehaves on request.

import type { Config, ServiceBase } from "@fjord/fjord";

export interface MarkerOptions {
  dir: string;
  /**
   * ok; start-throws (every time); start-throws-0 (worker 0 only, every time); wait-throws (once per worker id); throw-later (an uncaught
   * error once per worker id); hang-stop (stop never finishes); stop-throws (a graceful stop()
   * throws); exit-later (Deno.exit(3) once);
   * hang-start-marked (start() never finishes while the file `<dir>/hang-start` exists, and
   * throws while `<dir>/throw-start` does).
   */
  mode?: string;
  /** ms start() takes. */
  startDelay?: number;
  /** Log a "starting" event when start() begins (before `startDelay`). */
  logStarting?: boolean;
  /**
   * When set, each instance polls for the file `<dir>/end-<workerId>` and, once it appears,
   * removes it and ends its worker this way: "exit" (Deno.exit(7)), "close" (self.close() in a
   * Web Worker, Deno.exit(0) in a process), "throw" (an uncaught error), "reject" (an unhandled
   * rejection); "spin" does not end it but loops synchronously for ever (it answers nothing).
   */
  endBy?: "exit" | "close" | "throw" | "reject" | "spin";
  /** ms a graceful stop() takes; it then logs "stop-done". */
  stopDelay?: number;
}

function now(): number {
  return performance.timeOrigin + performance.now();
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function once(dir: string, key: string): boolean {
  try {
    Deno.writeTextFileSync(`${dir}/once-${key}`, "", { createNew: true });
    return true;
  } catch {
    return false;
  }
}

export class MarkerService implements ServiceBase {
  #o: MarkerOptions;
  #id: number;
  #conf: Config | undefined;
  #stopped = Promise.withResolvers<void>();
  #timers: ReturnType<typeof setTimeout>[] = [];
  #inst = crypto.randomUUID().slice(0, 8);

  constructor(o: MarkerOptions, workerId = 0, conf?: Config) {
    this.#o = o;
    this.#id = workerId;
    this.#conf = conf;
  }

  #log(event: string, extra = ""): void {
    Deno.writeTextFileSync(
      `${this.#o.dir}/events.log`,
      `${event} ${this.#id} ${Deno.pid} ${now()} ${this.#inst}${extra ? " " + extra : ""}\n`,
      { append: true },
    );
  }

  async start(): Promise<void> {
    const mode = this.#o.mode ?? "ok";
    if (this.#o.logStarting) this.#log("starting");
    if (this.#o.startDelay) await new Promise((r) => setTimeout(r, this.#o.startDelay));
    if (mode === "hang-start-marked" && exists(`${this.#o.dir}/hang-start`)) {
      this.#log("start-hangs");
      await new Promise(() => {});
    }
    if (mode === "hang-start-marked" && exists(`${this.#o.dir}/throw-start`)) {
      throw new Error("start failed on purpose (marked)");
    }
    if (mode === "start-throws" || (mode === "start-throws-0" && this.#id === 0)) {
      this.#log("start-failed");
      throw new Error("start failed on purpose");
    }
    let extra = "";
    try {
      if (this.#conf !== undefined) {
        extra = `timeout=${this.#conf.get("graceful_shutdown_timeout")}`;
      }
    } catch { /* no such option */ }
    this.#log("start", extra);
    if (mode === "throw-later" && once(this.#o.dir, `throw-${this.#id}`)) {
      this.#timers.push(setTimeout(() => {
        throw new Error("thrown later on purpose");
      }, 50));
    }
    if (mode === "exit-later" && once(this.#o.dir, `exit-${this.#id}`)) {
      this.#timers.push(setTimeout(() => Deno.exit(3), 50));
    }
    if (this.#o.endBy !== undefined) this.#pollEnd(this.#o.endBy);
  }

  #pollEnd(how: NonNullable<MarkerOptions["endBy"]>): void {
    const file = `${this.#o.dir}/end-${this.#id}`;
    const id = setInterval(() => {
      try {
        Deno.removeSync(file);
      } catch {
        return; // not yet (or another instance took it)
      }
      clearInterval(id);
      this.#log("ending", how);
      const inWorker = typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !==
        "undefined";
      switch (how) {
        case "exit":
          Deno.exit(7);
          break;
        case "close":
          if (inWorker) (globalThis as unknown as { close(): void }).close();
          else Deno.exit(0);
          break;
        case "throw":
          setTimeout(() => {
            throw new Error("ended by an uncaught error on purpose");
          }, 0);
          break;
        case "reject":
          void Promise.reject(new Error("ended by an unhandled rejection on purpose"));
          break;
        case "spin":
          for (;;) { /* stuck for good */ }
      }
    }, 5);
    this.#timers.push(id);
  }

  async stop(options: { graceful?: boolean } = {}): Promise<void> {
    this.#log("stop", `graceful=${options.graceful ?? false}`);
    for (const t of this.#timers) clearTimeout(t), clearInterval(t);
    if ((this.#o.mode ?? "ok") === "hang-stop") {
      await new Promise(() => {});
    }
    if (this.#o.mode === "stop-throws" && options.graceful) {
      this.#stopped.resolve();
      throw new Error("stop failed on purpose");
    }
    if (this.#o.stopDelay && options.graceful) {
      await new Promise((r) => setTimeout(r, this.#o.stopDelay));
      this.#log("stop-done");
    }
    this.#stopped.resolve();
  }

  async wait(): Promise<void> {
    if (this.#o.mode === "wait-throws" && once(this.#o.dir, `wait-${this.#id}`)) {
      await new Promise((r) => setTimeout(r, 30));
      throw new Error("wait failed on purpose");
    }
    await this.#stopped.promise;
  }

  reset(): void {
    this.#log("reset");
  }
}

/** The factory form of a ServiceRef export. */
export function factory(
  ctx: { workerId: number; conf: Config | undefined },
  o: MarkerOptions,
): ServiceBase {
  return new MarkerService(o, ctx.workerId, ctx.conf);
}

export const notAService = 42;

export function returnsJunk(): unknown {
  return { start: 1 };
}
