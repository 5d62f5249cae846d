/**
 * Backend selection state: the chosen type, the default hook, `FJORD_BACKEND` and the default.
 * It lives on the ground floor so that constructing a service or a pool can resolve the backend
 * without importing the backend definitions (which import those very classes).
 *
 * @module
 */

import { type BackendType, DEFAULT_BACKEND_TYPE, isBackendType } from "./backend_type.ts";
import { describeValue } from "./_describe.ts";
import { getLogger } from "./logger.ts";
import { optionalEnv } from "./_optional_env.ts";

let selected: BackendType | undefined;
let defaultHook: (() => BackendType) | undefined;

/** Where a backend runs `ThreadGroup` task threads / pool tasks, and launcher workers. */
export interface BackendIsolation {
  readonly taskIsolation: "worker" | "isolate";
  readonly launcherIsolation: "worker" | "process";
}

/** Each backend's isolation policy; the backend definitions in `backends/` use the same record. */
export const BACKEND_ISOLATION: Readonly<Record<BackendType, BackendIsolation>> = Object.freeze({
  threading: Object.freeze({ taskIsolation: "worker", launcherIsolation: "worker" }),
  cooperative: Object.freeze({ taskIsolation: "isolate", launcherIsolation: "process" }),
});

// Set while the hook runs: a hook that itself selects the backend (it builds a ThreadGroup, say)
// used to recurse until the stack overflowed, and the innermost failure froze the default.
let hookRunning = false;

function chooseDefault(): BackendType {
  if (defaultHook !== undefined) {
    if (hookRunning) {
      throw new TypeError(
        "Cannot select a backend from inside the backend default hook: return a backend type, and create what needs a backend after the selection",
      );
    }
    let chosen: unknown;
    try {
      hookRunning = true;
      chosen = defaultHook();
    } catch (err) {
      getLogger().warning(
        `Backend default hook failed; using the default backend '${DEFAULT_BACKEND_TYPE}'`,
        err,
      );
      return DEFAULT_BACKEND_TYPE;
    } finally {
      hookRunning = false;
    }
    if (isBackendType(chosen)) return chosen;
    // describeValue: String() of a null-prototype object throws, and a string is quoted with its
    // control characters escaped, so a value cannot forge a log line.
    getLogger().warning(
      `Backend default hook returned ${
        describeValue(chosen)
      }, not a backend type; using the default backend '${DEFAULT_BACKEND_TYPE}'`,
    );
    return DEFAULT_BACKEND_TYPE;
  }
  const env = optionalEnv("FJORD_BACKEND");
  if (env === undefined) return DEFAULT_BACKEND_TYPE;
  if (isBackendType(env)) return env;
  getLogger().warning(
    `FJORD_BACKEND is not a backend type ("threading" or "cooperative"): current value is ${
      describeValue(env)
    }; using the default backend '${DEFAULT_BACKEND_TYPE}'`,
  );
  return DEFAULT_BACKEND_TYPE;
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
  return selected;
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
    throw new TypeError(
      `Cannot register backend default hook as 'hook' must be a function: current value is ${
        describeValue(hook)
      }`,
    );
  }
  defaultHook = hook;
}

/** The selected type, or undefined; never selects. */
export function selectedBackendType(): BackendType | undefined {
  return selected;
}

/** Records `type` as the selection (undefined clears it). */
export function setSelectedBackendType(type: BackendType | undefined): void {
  selected = type;
}

/**
 * The selected type, selecting one (hook, else `FJORD_BACKEND`, else the default) and freezing it
 * when nothing is selected yet.
 */
export function selectBackendType(): BackendType {
  if (selected === undefined) {
    const chosen = chooseDefault();
    // The hook may have called initBackend() itself: that selection is frozen and stands.
    selected ??= chosen;
  }
  return selected;
}

/** The selected backend's isolation policy, selecting a backend when none is. */
export function selectedIsolation(): BackendIsolation {
  return BACKEND_ISOLATION[selectBackendType()];
}

/** Clears the selection and the hook. */
export function resetSelection(): void {
  selected = undefined;
  defaultHook = undefined;
}
