/**
 * The backend selector. Importing any fjord module never selects a backend; the first
 * {@linkcode getBackend} / {@linkcode getComponent} call (or the construction of a
 * backend-bound class) does, and the choice is then frozen until {@linkcode resetBackend}.
 *
 * @module
 */

import type { Backend, Components } from "./backend.ts";
import { DEFAULT_BACKEND_TYPE, isBackendType } from "./backend_type.ts";
import type { BackendType } from "./backend_type.ts";
import { BackendAlreadySelectedError, ComponentNotFoundError } from "./errors.ts";
import { getLogger } from "./logger.ts";
import { createCooperativeBackend } from "./cooperative/backend.ts";
import { createThreadingBackend } from "./threading/backend.ts";
import { selectedBackendType, setSelectedBackendType } from "./_selection.ts";

// The Backend object for the selected type (_selection.ts), built on first use.
let built: Backend | undefined;
let defaultHook: (() => BackendType) | undefined;

function create(type: BackendType): Backend {
  return type === "threading" ? createThreadingBackend() : createCooperativeBackend();
}

function readEnv(): string | undefined {
  try {
    return Deno.env.get("FJORD_BACKEND");
  } catch {
    // Without --allow-env the variable counts as unset.
    return undefined;
  }
}

function chooseDefault(): BackendType {
  if (defaultHook !== undefined) {
    let chosen: unknown;
    try {
      chosen = defaultHook();
    } catch (err) {
      getLogger().warning(
        `Backend default hook failed; using the default backend '${DEFAULT_BACKEND_TYPE}'`,
        err,
      );
      return DEFAULT_BACKEND_TYPE;
    }
    if (isBackendType(chosen)) return chosen;
    getLogger().warning(
      `Backend default hook returned '${
        String(chosen)
      }', not a backend type; using the default backend '${DEFAULT_BACKEND_TYPE}'`,
    );
    return DEFAULT_BACKEND_TYPE;
  }
  const env = readEnv();
  if (env === undefined || env === "") return DEFAULT_BACKEND_TYPE;
  if (isBackendType(env)) return env;
  getLogger().warning(
    `FJORD_BACKEND='${env}' is not a backend type ("threading" or "cooperative"); using the default backend '${DEFAULT_BACKEND_TYPE}'`,
  );
  return DEFAULT_BACKEND_TYPE;
}

/**
 * Selects the backend explicitly. Call it once, early (e.g. first thing in `main`).
 *
 * @param type `"threading"` or `"cooperative"`.
 * @returns The selected backend.
 * @throws {TypeError} When `type` is not a backend type.
 * @throws {BackendAlreadySelectedError} When another backend is already selected (the same
 *   type again is a no-op).
 *
 * @example
 * ```ts
 * import { initBackend, resetBackend } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * resetBackend();
 * assert.equal(initBackend("threading").type, "threading");
 * resetBackend();
 * ```
 */
export function initBackend(type: BackendType): Backend {
  if (!isBackendType(type)) {
    throw new TypeError(
      `Cannot select backend as 'type' must be "threading" or "cooperative": current value is ${
        JSON.stringify(type) ?? String(type)
      }`,
    );
  }
  const current = selectedBackendType();
  if (current !== undefined && current !== type) {
    throw new BackendAlreadySelectedError(current, type);
  }
  setSelectedBackendType(type);
  return getBackend();
}

/**
 * The selected backend, selecting one on the first call: the hook registered with
 * {@linkcode registerBackendDefaultHook}, else the `FJORD_BACKEND` environment variable, else
 * {@linkcode DEFAULT_BACKEND_TYPE}. A hook that throws or an unknown value falls back to the
 * default with a logged warning.
 *
 * @returns The selected backend.
 *
 * @example
 * ```ts
 * import { getBackend, getBackendType, resetBackend } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * resetBackend();
 * const backend = getBackend();
 * assert.equal(getBackendType(), backend.type);
 * resetBackend();
 * ```
 */
export function getBackend(): Backend {
  if (built === undefined) {
    const type = selectedBackendType() ?? chooseDefault();
    setSelectedBackendType(type);
    built = create(type);
  }
  return built;
}

/**
 * The selected backend's type, without selecting one.
 *
 * @returns The type, or `undefined` when nothing is selected yet.
 *
 * @example
 * ```ts
 * import { getBackendType, resetBackend } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * resetBackend();
 * assert.equal(getBackendType(), undefined);
 * ```
 */
export function getBackendType(): BackendType | undefined {
  return selectedBackendType();
}

/**
 * A component of the selected backend (selecting one if needed), by its oslo.service name.
 *
 * @typeParam K The component name.
 * @param name The component name, e.g. `"SignalHandler"`.
 * @returns The component.
 * @throws {ComponentNotFoundError} When the backend has no component of that name.
 *
 * @example
 * ```ts
 * import { getComponent } from "@fjord/fjord";
 *
 * const SignalHandler = getComponent("SignalHandler");
 * const handler = new SignalHandler();
 * handler.clear();
 * ```
 */
export function getComponent<K extends keyof Components>(name: K): Components[K] {
  const backend = getBackend();
  if (typeof name !== "string" || !Object.hasOwn(backend.components, name)) {
    throw new ComponentNotFoundError(String(name), backend.type);
  }
  return backend.components[name];
}

/**
 * Registers a function that picks the backend when {@linkcode getBackend} selects one without
 * {@linkcode initBackend} having been called. It takes precedence over `FJORD_BACKEND`, and has
 * no effect on a backend already selected.
 *
 * @param hook Returns the backend type to use.
 * @throws {TypeError} When `hook` is not a function.
 *
 * @example
 * ```ts
 * import { getBackend, registerBackendDefaultHook, resetBackend } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * resetBackend();
 * registerBackendDefaultHook(() => "threading");
 * assert.equal(getBackend().type, "threading");
 * resetBackend();
 * ```
 */
export function registerBackendDefaultHook(hook: () => BackendType): void {
  if (typeof hook !== "function") {
    throw new TypeError(`Cannot register backend default hook as 'hook' is not a function`);
  }
  defaultHook = hook;
}

/**
 * Clears the selected backend and the default hook (for tests).
 *
 * @example
 * ```ts
 * import { getBackendType, initBackend, resetBackend } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * initBackend("cooperative");
 * resetBackend();
 * assert.equal(getBackendType(), undefined);
 * ```
 */
export function resetBackend(): void {
  setSelectedBackendType(undefined);
  built = undefined;
  defaultHook = undefined;
}
