/**
 * Service references: how a launcher names a service that another isolate (a Web Worker or a
 * child process) must import and build, since objects cannot cross isolates.
 *
 * @module
 */

/**
 * A service class or factory exported by a module, named so that any isolate can import it.
 *
 * The export is either a `ServiceBase` class (constructed as `new Export(...args)`) or a factory
 * called as `factory({ workerId, conf }, ...args)` that returns a `ServiceBase` (or a promise of
 * one). `workerId` counts from 0; `conf` is the worker's own `Config`, loaded from the same
 * sources as the launcher's.
 *
 * @example
 * ```ts
 * import type { ServiceRef } from "@fjord/fjord";
 *
 * const ref: ServiceRef = { module: new URL("./my_service.ts", import.meta.url), args: [8080] };
 * ```
 */
export interface ServiceRef {
  /** An absolute module URL (`file:`, `https:`, `data:` ...), as a string or `URL`. */
  module: string | URL;
  /** The export's name (default `"default"`). */
  export?: string;
  /** Arguments for the class or factory; structured-cloneable (and JSON-safe for processes). */
  args?: unknown[];
}

/**
 * Thrown when a {@linkcode ServiceRef}'s module cannot be imported, lacks the export, or the
 * export is neither a service class nor a factory (or the factory's result is not a service).
 *
 * @example
 * ```ts
 * import { ServiceNotFoundError } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * const err = new ServiceNotFoundError("file:///svc.ts", "Api", "the module has no such export");
 * assert.equal(err.export, "Api");
 * assert.match(err.message, /file:\/\/\/svc\.ts/);
 * ```
 */
export class ServiceNotFoundError extends Error {
  /** The module URL. */
  readonly module: string;
  /** The export name. */
  readonly export: string;

  /**
   * Creates the error from its facts.
   *
   * @param module The module URL.
   * @param exportName The export name.
   * @param reason Why the service could not be loaded.
   * @param options `cause`: the underlying error.
   */
  constructor(module: string, exportName: string, reason: string, options?: ErrorOptions) {
    super(`Cannot load service '${exportName}' from '${module}' as ${reason}`, options);
    this.name = "ServiceNotFoundError";
    this.module = module;
    this.export = exportName;
  }
}

/**
 * Whether `value` is shaped like a {@linkcode ServiceRef}.
 *
 * @param value Any value.
 * @returns `true` for an object with a string/URL `module` (and a string `export`, an array
 *   `args` when present).
 *
 * @example
 * ```ts
 * import { isServiceRef } from "@fjord/fjord/runtime";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isServiceRef({ module: "file:///svc.ts" }));
 * assert.ok(!isServiceRef({ start() {} }));
 * ```
 */
export function isServiceRef(value: unknown): value is ServiceRef {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (typeof v.module === "string" || v.module instanceof URL) &&
    (v.export === undefined || typeof v.export === "string") &&
    (v.args === undefined || Array.isArray(v.args));
}
