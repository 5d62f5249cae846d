/**
 * The `Backend` interface and the typed map of components a backend provides.
 *
 * @module
 */

import type { BackendType } from "./backend_type.ts";
import type { SignalHandler } from "./signal_handler.ts";

/**
 * The classes and functions a backend provides, looked up by name with
 * {@linkcode getComponent}. Names follow oslo.service's `get_component()`.
 */
export interface Components {
  /** Routes OS signals to handlers. */
  SignalHandler: typeof SignalHandler;
}

/**
 * A selected backend: its name, its components, and where it runs work that leaves the calling
 * isolate.
 */
export interface Backend {
  /** The backend's name. */
  readonly type: BackendType;
  /** Everything {@linkcode getComponent} can return. */
  readonly components: Components;
  /**
   * Where `ThreadGroup` runs a `TaskRef` thread and where the default pool executor runs tasks:
   * `"worker"` (a Web Worker) or `"isolate"` (an async task in the calling isolate).
   */
  readonly taskIsolation: "worker" | "isolate";
  /** The default `ProcessLauncher` isolation: Web Workers or child Deno processes. */
  readonly launcherIsolation: "worker" | "process";
}
