/**
 * The threading backend: launcher workers, `ThreadGroup` task threads and pool executor tasks run
 * in Web Workers (one isolate each, real parallelism).
 *
 * @module
 */

import type { Backend } from "./backend.ts";
import { BackendType } from "../runtime/backend_type.ts";
import { BACKEND_ISOLATION } from "../runtime/selection.ts";
import { commonComponents } from "./_components.ts";
import { WorkerPoolExecutor } from "../futures/worker_pool_executor.ts";

/**
 * Builds the threading backend (normally done by the selector, once).
 *
 * @returns A frozen threading {@linkcode Backend}.
 *
 * @example
 * ```ts
 * import { createThreadingBackend } from "@fjord/fjord/backends";
 * import assert from "node:assert/strict";
 *
 * assert.equal(createThreadingBackend().type, "threading");
 * ```
 */
export function createThreadingBackend(): Backend {
  return Object.freeze({
    type: BackendType.THREADING,
    ...BACKEND_ISOLATION.threading,
    components: Object.freeze({
      ...commonComponents(),
      Executor: WorkerPoolExecutor,
    }),
  });
}
