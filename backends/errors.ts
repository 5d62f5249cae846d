/**
 * Errors raised by the backend selector.
 *
 * @module
 */

import type { BackendType } from "../runtime/backend_type.ts";

/**
 * Thrown by {@linkcode initBackend} when another backend has already been selected.
 *
 * @example
 * ```ts
 * import { BackendAlreadySelectedError } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * const err = new BackendAlreadySelectedError("cooperative", "threading");
 * assert.equal(err.current, "cooperative");
 * assert.equal(err.requested, "threading");
 * ```
 */
export class BackendAlreadySelectedError extends Error {
  /** The backend in use. */
  readonly current: BackendType;
  /** The backend that was asked for. */
  readonly requested: BackendType;

  /**
   * Creates the error from its facts.
   *
   * @param current The backend in use.
   * @param requested The backend that was asked for.
   */
  constructor(current: BackendType, requested: BackendType) {
    super(
      `Cannot select backend '${requested}' as backend '${current}' is already selected`,
    );
    this.name = "BackendAlreadySelectedError";
    this.current = current;
    this.requested = requested;
  }
}

/**
 * Thrown by {@linkcode getComponent} for a name the selected backend does not provide.
 *
 * @example
 * ```ts
 * import { ComponentNotFoundError } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new ComponentNotFoundError("Nope", "cooperative").component, "Nope");
 * ```
 */
export class ComponentNotFoundError extends Error {
  /** The component name that was asked for. */
  readonly component: string;
  /** The backend that was asked. */
  readonly backend: BackendType;

  /**
   * Creates the error from its facts.
   *
   * @param component The component name that was asked for.
   * @param backend The backend that was asked.
   */
  constructor(component: string, backend: BackendType) {
    super(`Cannot find component '${component}' in backend '${backend}'`);
    this.name = "ComponentNotFoundError";
    this.component = component;
    this.backend = backend;
  }
}

/**
 * Thrown where a backend cannot provide an operation at all (API.md §1). Reserved: fjord's two
 * backends currently provide every operation (oslo's one case, `run_periodic_tasks_in_parallel`
 * off the threading backend, runs in the calling isolate on either backend here), so nothing in
 * fjord throws it yet; a third-party backend registered through the selector may.
 *
 * @example
 * ```ts
 * import { UnsupportedBackendError } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * const err = new UnsupportedBackendError("cooperative", "shared-memory locks");
 * assert.equal(err.operation, "shared-memory locks");
 * ```
 */
export class UnsupportedBackendError extends Error {
  /** The backend that cannot do it. */
  readonly backend: BackendType;
  /** What was asked of it. */
  readonly operation: string;

  /**
   * Creates the error from its facts.
   *
   * @param backend The backend that cannot do it.
   * @param operation What was asked of it.
   */
  constructor(backend: BackendType, operation: string) {
    super(`Backend '${backend}' does not support ${operation}`);
    this.name = "UnsupportedBackendError";
    this.backend = backend;
    this.operation = operation;
  }
}
