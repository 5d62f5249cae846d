// Runners for work that runs in this isolate: SynchronousExecutor (inline: no limit, work runs
// in the caller's submit()) and AsyncPoolExecutor (at most `max` pieces of work in flight on
// this event loop). An async function's future settles when its promise does; a TaskRef is
// imported first, so it always completes asynchronously.

import { loadTask } from "../runtime/task_ref.ts";
import { cpuCount, type Runner, runnerFactories, type RunnerHost, type Work } from "./_runner.ts";
import { isTransferred, unwrapArgs } from "./_transfer_brand.ts";

type Fn = (...args: unknown[]) => unknown;

const loaded = new Map<string, Promise<Fn>>();

function load(work: Work): Promise<Fn> {
  const key = `${work.url}#${work.ref!.export}`;
  let p = loaded.get(key);
  if (p === undefined) {
    p = loadTask(work.ref!);
    // A failed import is not cached: the module may be fixed or appear later.
    p.catch(() => loaded.delete(key));
    loaded.set(key, p);
  }
  return p;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function";
}

/** A runner that calls work in this isolate, at most `max` at a time. */
export function createLocalRunner(host: RunnerHost, max: number): Runner {
  let running = 0;
  // What runs now (for shutdown's timeout).
  const live = new Set<Work>();
  // Work stopped (timed out, aborted) while its promise is pending: its slot is already free and
  // its outcome is ignored (code on this isolate cannot be interrupted).
  const stopped = new Set<Work>();

  function settle(work: Work, ok: boolean, value: unknown): void {
    if (stopped.size > 0 && stopped.delete(work)) return;
    running--;
    live.delete(work);
    host.complete(work, ok, ok && isTransferred(value) ? value.value : value);
  }

  // Calls the work's function; settles synchronously when it returns a plain value.
  function run(work: Work): void {
    if (work.fn === undefined) {
      load(work).then((fn) => fn(...unwrapArgs(work.args))).then(
        (v) => settle(work, true, v),
        (e) => settle(work, false, e),
      );
      return;
    }
    let r: unknown;
    try {
      r = work.fn(...unwrapArgs(work.args));
    } catch (e) {
      settle(work, false, e);
      return;
    }
    if (isThenable(r)) r.then((v) => settle(work, true, v), (e) => settle(work, false, e));
    else settle(work, true, r);
  }

  return {
    acceptsFunctions: true,
    freeSlots: () => max - running,
    start(work: Work): void {
      running++;
      live.add(work);
      host.running(work);
      run(work);
    },
    stop(work: Work): void {
      if (work.future.done() || stopped.has(work)) return;
      stopped.add(work);
      running--;
      live.delete(work);
    },
    started: () => live,
    close: () => Promise.resolve(),
  };
}

runnerFactories.inline = (host) => createLocalRunner(host, Infinity);
runnerFactories.async = (host, o) => createLocalRunner(host, o.maxWorkers ?? cpuCount() * 5);
