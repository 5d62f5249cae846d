/**
 * Task references: how fjord names code that another isolate (a Web Worker or a child process)
 * must import and run, since closures cannot cross isolates.
 *
 * @module
 */

import { loadExport } from "./_module_loader.ts";
import { describeValue } from "./_describe.ts";

/**
 * The function type of a {@linkcode TaskRef} that does not say which function it names: its
 * arguments are not checked and its result is `unknown`. (A brand, never a value.)
 *
 * @example
 * ```ts
 * import type { TaskRef, UntypedTask } from "@fjord/fjord";
 *
 * const ref: TaskRef<UntypedTask> = { module: "file:///tasks.ts", export: "anything" };
 * const same: TaskRef = ref;
 * ```
 */
// deno-lint-ignore no-explicit-any
export type UntypedTask = ((...args: any[]) => unknown) & { readonly __untypedTask: true };

/**
 * A function exported by a module, named so that any isolate can import it.
 *
 * `F` is the type of the function it names, for the type checker only (nothing checks it at run
 * time): with `TaskRef<typeof fib>`, `submit(ref, ...args)` checks the arguments and types the
 * result. A plain `{ module, export }` object is a `TaskRef` of any `F`.
 *
 * @typeParam F The exported function's type (default: unchecked).
 *
 * @example
 * ```ts
 * import type { TaskRef } from "@fjord/fjord";
 *
 * const fib: TaskRef = { module: new URL("./tasks.ts", import.meta.url), export: "fib" };
 * // Typed: submit(typedFib, "x") fails `deno check`, and the result is a number.
 * const typedFib: TaskRef<(n: number) => number> = { module: fib.module, export: "fib" };
 * ```
 */
// deno-lint-ignore no-explicit-any
export interface TaskRef<F extends (...args: any[]) => unknown = UntypedTask> {
  /** An absolute module URL (`file:`, `https:`, `data:` ...), as a string or `URL`. */
  module: string | URL;
  /** The name of the exported function. */
  export: string;
  /** Type-level only: the function's type. Never set it. */
  readonly __task?: F;
}

/**
 * Thrown (or used to reject) when a {@linkcode TaskRef}'s module cannot be imported or does not
 * export a function under the given name.
 *
 * @example
 * ```ts
 * import { TaskNotFoundError } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * const err = new TaskNotFoundError("file:///tasks.ts", "fib", "it is not exported");
 * assert.equal(err.export, "fib");
 * ```
 */
export class TaskNotFoundError extends Error {
  /** The module URL. */
  readonly module: string;
  /** The export name. */
  readonly export: string;

  /**
   * Creates the error from its facts.
   *
   * @param module The module URL.
   * @param exportName The export name.
   * @param reason Why it could not be loaded.
   * @param options `cause`: the underlying error.
   */
  constructor(module: string, exportName: string, reason: string, options?: ErrorOptions) {
    super(`Cannot load task '${exportName}' from '${module}' as ${reason}`, options);
    this.name = "TaskNotFoundError";
    this.module = module;
    this.export = exportName;
  }
}

/**
 * Whether `value` is shaped like a {@linkcode TaskRef}.
 *
 * @param value Any value.
 * @returns `true` for an object with a string/URL `module` and a string `export`.
 *
 * @example
 * ```ts
 * import { isTaskRef } from "@fjord/fjord/runtime";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isTaskRef({ module: "file:///t.ts", export: "run" }));
 * assert.ok(!isTaskRef(() => 1));
 * ```
 */
export function isTaskRef(value: unknown): value is TaskRef {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (typeof v.module === "string" || v.module instanceof URL) &&
    typeof v.export === "string";
}

/**
 * Checks a {@linkcode TaskRef} and returns its module as an absolute URL string (what is sent
 * to another isolate).
 *
 * @param ref The task reference.
 * @param parameter The parameter name for error messages.
 * @returns The module's absolute URL.
 * @throws {TypeError} When `ref` is not a TaskRef, its module is not an absolute URL, or its
 *   export name is empty.
 *
 * @example
 * ```ts
 * import { taskModuleUrl } from "@fjord/fjord/runtime";
 * import assert from "node:assert/strict";
 *
 * assert.equal(taskModuleUrl({ module: new URL("file:///t.ts"), export: "run" }), "file:///t.ts");
 * ```
 */
export function taskModuleUrl(ref: TaskRef, parameter = "task"): string {
  if (!isTaskRef(ref)) {
    throw new TypeError(
      `Cannot use '${parameter}' as it is not a TaskRef ({ module: string | URL, export: string })`,
    );
  }
  if (ref.export === "") {
    throw new TypeError(`Cannot use '${parameter}' as its 'export' name is empty`);
  }
  if (ref.module instanceof URL) return ref.module.href;
  try {
    return new URL(ref.module).href;
  } catch {
    throw new TypeError(
      `Cannot use '${parameter}' as its module must be an absolute URL (try new URL("./x.ts", import.meta.url)): current value is ${
        describeValue(ref.module)
      }`,
    );
  }
}

/**
 * Imports a {@linkcode TaskRef}'s module in this isolate and returns the exported function.
 *
 * @param ref The task reference.
 * @returns The exported function.
 * @throws {TypeError} When `ref` is malformed (see {@linkcode taskModuleUrl}).
 * @throws {TaskNotFoundError} When the module cannot be imported or the export is not a function.
 *
 * @example
 * ```ts
 * import { loadTask } from "@fjord/fjord/runtime";
 * import assert from "node:assert/strict";
 *
 * const code = "export function double(x) { return 2 * x; }";
 * const fn = await loadTask({ module: `data:text/javascript,${code}`, export: "double" });
 * assert.equal(fn(21), 42);
 * ```
 */
export function loadTask(ref: TaskRef): Promise<(...args: unknown[]) => unknown> {
  const url = taskModuleUrl(ref);
  return loadExport(
    url,
    ref.export,
    (reason, cause) =>
      new TaskNotFoundError(url, ref.export, reason, cause === undefined ? undefined : { cause }),
    (value) => `the export is a ${typeof value}, not a function`,
  );
}
