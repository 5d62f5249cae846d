// Loading a ServiceRef: validate its shape, import its module, check the export, build the
// service (class → new, factory → call with { workerId, conf }).

import type { Config } from "../config/mod.ts";
import { describeValue } from "../runtime/_describe.ts";
import { checkWorkerCloneable } from "../runtime/_check_options.ts";
import { checkServiceBase } from "./_launcher_common.ts";
import type { ServiceBase } from "./service.ts";
import { isServiceRef, ServiceNotFoundError, type ServiceRef } from "../runtime/service_ref.ts";
import { loadExport } from "../runtime/_module_loader.ts";
import { quietDelay } from "../runtime/_quiet_delay.ts";

/** A ServiceRef in the plain form sent to another isolate. */
export interface PlainServiceRef {
  module: string;
  export: string;
  args: unknown[];
}

/** What a factory export receives first. */
export interface ServiceContext {
  workerId: number;
  conf: Config | undefined;
}

/** Checks a ServiceRef's shape synchronously and returns its plain form. */
export function normalizeServiceRef(ref: ServiceRef, parameter = "s"): PlainServiceRef {
  if (!isServiceRef(ref)) {
    throw new TypeError(
      `Cannot launch service as '${parameter}' is not a ServiceRef ({ module: string | URL, export?: string, args?: unknown[] }): current value is ${
        describeValue(ref)
      }`,
    );
  }
  const exportName = ref.export ?? "default";
  if (exportName === "") {
    throw new TypeError(`Cannot launch service as '${parameter}.export' is empty`);
  }
  let module: string;
  try {
    module = ref.module instanceof URL ? ref.module.href : new URL(ref.module).href;
  } catch {
    throw new TypeError(
      `Cannot launch service as '${parameter}.module' must be an absolute URL (try new URL("./svc.ts", import.meta.url)): current value is ${
        describeValue(ref.module)
      }`,
    );
  }
  return { module, export: exportName, args: [...(ref.args ?? [])] };
}

/**
 * Throws a TypeError naming the first of `args` a worker would not receive as given: Web Workers
 * get a structured clone, worker processes JSON, which turns a Map or Set into `{}`, a Date into
 * a string, `undefined`, NaN and functions into null or nothing, and fails on a BigInt or a
 * cycle only once the worker is spawned.
 */
export function checkServiceArgs(args: unknown[], isolation: "worker" | "process"): void {
  if (isolation === "worker") return checkWorkerCloneable(args, "launch service", "its 'args'");
  const problem = notJsonSafe(args, "args", new Set());
  if (problem !== undefined) {
    throw new TypeError(
      `Cannot launch service as its 'args' must be JSON-safe for process isolation (plain objects, arrays, strings, finite numbers, booleans, null): ${problem}`,
    );
  }
}

function notJsonSafe(value: unknown, path: string, seen: Set<object>): string | undefined {
  if (value === null || typeof value === "string" || typeof value === "boolean") return undefined;
  if (typeof value === "number") {
    return Number.isFinite(value) ? undefined : `${path} is ${describeValue(value)}`;
  }
  if (typeof value !== "object") return `${path} is ${describeValue(value)}`;
  if (seen.has(value)) return `${path} is a circular reference`;
  const proto = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) {
    return `${path} is ${describeValue(value)}`;
  }
  seen.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = notJsonSafe(value[i], `${path}[${i}]`, seen);
      if (problem !== undefined) return problem;
    }
  } else {
    for (const [key, item] of Object.entries(value)) {
      const problem = notJsonSafe(item, `${path}.${key}`, seen);
      if (problem !== undefined) return problem;
    }
  }
  seen.delete(value);
  return undefined;
}

/** Imports the module and returns the export, checked to be a function (class or factory). */
export function loadServiceExport(ref: PlainServiceRef): Promise<unknown> {
  return loadExport(
    ref.module,
    ref.export,
    (reason, cause) =>
      new ServiceNotFoundError(
        ref.module,
        ref.export,
        reason,
        cause === undefined ? undefined : { cause },
      ),
    (value) => `the export is ${describeValue(value)}, not a ServiceBase class or a factory`,
  );
}

// How long the parent's check of a ServiceRef may hold back the workers: a module that is still
// evaluating (one that launches itself from its top level) would make it wait on itself.
const CHECK_HOLD_MS = 100;

function isMainModule(url: string): boolean {
  try {
    return url === Deno.mainModule;
  } catch {
    return false;
  }
}

/**
 * Imports the referenced module in the parent to check its export, then calls `spawn` (at most
 * once). The main module is not imported again (it may be waiting on its own launcher); any other
 * module still evaluating after a short hold lets the workers start, which report a bad export
 * themselves. A failed check goes to `fail`. The returned promise settles within the hold, so a
 * stop never waits on a module that waits on itself.
 */
export function checkThenSpawn(
  ref: PlainServiceRef,
  fail: (error: unknown) => void,
  spawn: () => void,
): Promise<void> {
  if (isMainModule(ref.module)) {
    spawn();
    return Promise.resolve();
  }
  let done = false;
  const { promise, resolve } = Promise.withResolvers<void>();
  // Not a setTimeout (see _quiet_delay.ts): that would delay the spawn it bounds. It keeps
  // nothing alive; the launcher's signal hold does.
  const hold = quietDelay(CHECK_HOLD_MS);
  const once = (fn: () => void): void => {
    if (done) return;
    done = true;
    hold.cancel();
    fn();
    resolve();
  };
  void hold.promise.then(() => once(spawn));
  loadServiceExport(ref).then(() => once(spawn), (error) => {
    if (done) fail(error);
    else once(() => fail(error));
  });
  return promise;
}

function isClass(fn: (...a: unknown[]) => unknown): boolean {
  if (/^class[\s{]/.test(Function.prototype.toString.call(fn))) return true;
  // A function whose prototype has the service methods is a (transpiled or ES5) constructor.
  const proto = (fn as { prototype?: Record<string, unknown> }).prototype;
  return proto !== undefined && typeof proto.start === "function";
}

/** Builds the service from a loaded export. */
export async function buildService(
  ref: PlainServiceRef,
  target: unknown,
  ctx: ServiceContext,
): Promise<ServiceBase> {
  const fn = target as (...a: unknown[]) => unknown;
  let service: unknown;
  if (isClass(fn)) {
    service = new (fn as unknown as new (...a: unknown[]) => unknown)(...ref.args);
  } else {
    service = await fn(ctx, ...ref.args);
  }
  try {
    checkServiceBase(service, "service");
  } catch {
    throw new ServiceNotFoundError(
      ref.module,
      ref.export,
      `it built ${
        describeValue(service)
      }, which does not implement ServiceBase (start, stop, wait, reset)`,
    );
  }
  return service;
}
