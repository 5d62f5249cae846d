/**
 * The backend selector. Importing any fjord module never selects a backend; the first
 * {@linkcode getBackend} / {@linkcode getComponent} call (or the construction of a
 * backend-bound class) does, and the choice is then frozen until {@linkcode resetBackend}.
 *
 * @module
 */

import type { Backend, Components } from "./backend.ts";
import { type BackendType, isBackendType } from "../runtime/backend_type.ts";
import { describeValue } from "../runtime/_describe.ts";
import { BackendAlreadySelectedError, ComponentNotFoundError } from "./errors.ts";
import { createCooperativeBackend } from "./cooperative.ts";
import { createThreadingBackend } from "./threading.ts";
import {
  resetSelection,
  selectBackendType,
  selectedBackendType,
  setSelectedBackendType,
} from "../runtime/selection.ts";

export { getBackendType, registerBackendDefaultHook } from "../runtime/selection.ts";

// The Backend object for the selected type (runtime/selection.ts), built on first use.
let built: Backend | undefined;

function create(type: BackendType): Backend {
  return type === "threading" ? createThreadingBackend() : createCooperativeBackend();
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
        describeValue(type)
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
  const type = selectBackendType();
  if (built?.type !== type) built = create(type);
  return built;
}

/**
 * A component of the selected backend (selecting one if needed), by its oslo.service name.
 *
 * @typeParam K The component name.
 * @param name The component name, e.g. `"SignalHandler"`.
 * @returns The component.
 * @throws {TypeError} When `name` is not a string.
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
  // Checked before the selection: a bad argument must not select (and freeze) a backend.
  if (typeof name !== "string") {
    throw new TypeError(
      `Cannot get component as 'name' must be a string: current value is ${describeValue(name)}`,
    );
  }
  const backend = getBackend();
  if (!Object.hasOwn(backend.components, name)) {
    throw new ComponentNotFoundError(name, backend.type);
  }
  return backend.components[name];
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
  resetSelection();
  built = undefined;
}
