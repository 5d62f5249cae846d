// Launcher services that report what their worker's Config says: "<event> <workerId> <json>"
// lines in <dir>/events.log, where json is [port, mode, registered option names].

import { type Config, ConfigValueError, currentWorker, type ServiceBase } from "@fjord/fjord";

function report(dir: string, event: string, workerId: number, conf: Config): void {
  const names = conf.listOpts().filter((r) => r.group === "api").map((r) => r.opt.name).sort();
  const line = JSON.stringify([conf.get("port", "api"), conf.get("mode", "api"), names]);
  Deno.writeTextFileSync(`${dir}/events.log`, `${event} ${workerId} ${line}\n`, { append: true });
}

/** A class export: it reads its context through currentWorker(). */
export class ClassService implements ServiceBase {
  #dir: string;
  #stopped = Promise.withResolvers<void>();
  constructor(dir: string) {
    this.#dir = dir;
  }
  start(): void {
    const ctx = currentWorker()!;
    report(this.#dir, "start", ctx.workerId, ctx.conf);
  }
  stop(): void {
    this.#stopped.resolve();
  }
  wait(): Promise<void> {
    return this.#stopped.promise;
  }
  reset(): void {
    const ctx = currentWorker()!;
    report(this.#dir, "reset", ctx.workerId, ctx.conf);
  }
}

/** A factory export: it gets ctx.conf. */
export function factory(ctx: { workerId: number; conf: Config }, dir: string): ServiceBase {
  const stopped = Promise.withResolvers<void>();
  return {
    start: () => report(dir, "start", ctx.workerId, ctx.conf),
    stop: () => stopped.resolve(),
    wait: () => stopped.promise,
    reset: () => report(dir, "reset", ctx.workerId, ctx.conf),
  };
}

/**
 * A factory export that reports what reading `[api] workers` does in the worker:
 * `{"value": v}`, or `{"error": [class is ConfigValueError, name, message, option, group, value,
 * reason]}`.
 */
export function readsWorkers(ctx: { workerId: number; conf: Config }, dir: string): ServiceBase {
  const stopped = Promise.withResolvers<void>();
  const start = (): void => {
    let line: string;
    try {
      line = JSON.stringify({ value: ctx.conf.get("workers", "api") });
    } catch (e) {
      const { name, message, option, group, value, reason } = e as ConfigValueError;
      line = JSON.stringify({
        error: [e instanceof ConfigValueError, name, message, option, group, value, reason],
      });
    }
    Deno.writeTextFileSync(`${dir}/events.log`, `start ${ctx.workerId} ${line}\n`, {
      append: true,
    });
  };
  return { start, stop: () => stopped.resolve(), wait: () => stopped.promise, reset: () => {} };
}
