/**
 * The `Backend` interface and the typed map of components a backend provides.
 *
 * @module
 */

import type { BackendType } from "../runtime/backend_type.ts";
import type { SignalHandler } from "../service/signal_handler.ts";
import type { Thread, ThreadGroup } from "../service/thread_group.ts";
import type {
  BackOffLoopingCall,
  DynamicLoopingCall,
  FixedIntervalLoopingCall,
  FixedIntervalWithTimeoutLoopingCall,
} from "../service/looping_call.ts";
import type { LoopingCallDone, LoopingCallTimeOut } from "../service/looping_call_errors.ts";
import type { RetryDecorator } from "../service/retry.ts";
import type { Service, Services } from "../service/service.ts";
import type { Launcher } from "../service/launcher.ts";
import type { ServiceLauncher } from "../service/service_launcher.ts";
import type { ProcessLauncher } from "../service/process_launcher.ts";
import type { launch } from "../service/launch.ts";
import type { SignalExit } from "../service/signal_exit.ts";
import type { Executor } from "../futures/executor.ts";

/**
 * The classes and functions a backend provides, looked up by name with
 * {@linkcode getComponent}. Names follow oslo.service's `get_component()`.
 *
 * @example Both backends provide the same names
 * ```ts
 * import { type Components, initBackend, resetBackend } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * resetBackend();
 * const components: Components = initBackend("cooperative").components;
 * assert.equal(typeof components.ThreadGroup, "function");
 * resetBackend();
 * assert.deepEqual(
 *   Object.keys(initBackend("threading").components).sort(),
 *   Object.keys(components).sort(),
 * );
 * resetBackend();
 * ```
 */
export interface Components {
  /** Routes OS signals to handlers. */
  SignalHandler: typeof SignalHandler;
  /** Background threads and timers stopped together. */
  ThreadGroup: typeof ThreadGroup;
  /** One thread of a ThreadGroup. */
  Thread: typeof Thread;
  /** Calls a function every interval, start to start. */
  FixedIntervalLoopingCall: typeof FixedIntervalLoopingCall;
  /** A fixed-interval looping call with an overall timeout. */
  FixedIntervalWithTimeoutLoopingCall: typeof FixedIntervalWithTimeoutLoopingCall;
  /** Calls a function, sleeping as long as it returned. */
  DynamicLoopingCall: typeof DynamicLoopingCall;
  /** Calls a function with exponential back-off on failure. */
  BackOffLoopingCall: typeof BackOffLoopingCall;
  /** Retries a function on chosen errors. */
  RetryDecorator: typeof RetryDecorator;
  /** A service with a ThreadGroup. */
  Service: typeof Service;
  /** A set of services run in one isolate. */
  Services: typeof Services;
  /** Runs services in this isolate, without signal handling. */
  Launcher: typeof Launcher;
  /** Runs services in this isolate, with signal handling. */
  ServiceLauncher: typeof ServiceLauncher;
  /** Runs a service in supervised workers (Web Workers or child processes). */
  ProcessLauncher: typeof ProcessLauncher;
  /** Picks the launcher for a worker count and launches a service. */
  launch: typeof launch;
  /** Ends a launcher's wait() with a chosen exit code. */
  SignalExit: typeof SignalExit;
  /** Thrown by a looping call's function to finish the loop. */
  LoopingCallDone: typeof LoopingCallDone;
  /** Ends a looping call that timed out. */
  LoopingCallTimeOut: typeof LoopingCallTimeOut;
  /**
   * The backend's default pool executor: `AsyncPoolExecutor` (cooperative) or
   * `WorkerPoolExecutor` (threading).
   */
  Executor: new (options?: { maxWorkers?: number }) => Executor;
}

/**
 * A selected backend: its name, its components, and where it runs work that leaves the calling
 * isolate.
 *
 * @example Where the threading backend runs work
 * ```ts
 * import { type Backend, initBackend, resetBackend } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * resetBackend();
 * const backend: Backend = initBackend("threading");
 * assert.equal(backend.type, "threading");
 * assert.equal(backend.taskIsolation, "worker");
 * assert.equal(backend.launcherIsolation, "worker");
 * resetBackend();
 * ```
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
