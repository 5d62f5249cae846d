// Runs one piece of work in this isolate and reports its outcome to the host.

import { loadTask } from "../backends/task_ref.ts";
import type { RunnerHost, Work } from "./_runner.ts";
import { isTransferred, unwrapArgs } from "./_transfer_brand.ts";

const loaded = new Map<string, Promise<(...args: unknown[]) => unknown>>();

function load(work: Work): Promise<(...args: unknown[]) => unknown> {
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

/** Calls the work's function; settles synchronously when it returns a plain value. */
export function runLocal(work: Work, host: RunnerHost, onSettled?: () => void): void {
  if (work.fn === undefined) {
    load(work).then((fn) => fn(...unwrapArgs(work.args))).then(
      (v) => settle(work, host, onSettled, true, v),
      (e) => settle(work, host, onSettled, false, e),
    );
    return;
  }
  let r: unknown;
  try {
    r = work.fn(...unwrapArgs(work.args));
  } catch (e) {
    settle(work, host, onSettled, false, e);
    return;
  }
  if (isThenable(r)) {
    r.then(
      (v) => settle(work, host, onSettled, true, v),
      (e) => settle(work, host, onSettled, false, e),
    );
  } else settle(work, host, onSettled, true, r);
}

function settle(
  work: Work,
  host: RunnerHost,
  onSettled: (() => void) | undefined,
  ok: boolean,
  value: unknown,
): void {
  onSettled?.();
  host.complete(work, ok, ok && isTransferred(value) ? value.value : value);
}
