/**
 * The cooperative backend: everything runs as async tasks on the calling isolate's event loop
 * (the eventlet analogue); a `ProcessLauncher`'s workers are child Deno processes.
 *
 * @module
 */

import type { Backend } from "./backend.ts";
import { BackendType } from "../runtime/backend_type.ts";
import { BACKEND_ISOLATION } from "../runtime/selection.ts";
import { commonComponents } from "./_components.ts";
import { AsyncPoolExecutor } from "../futures/async_pool_executor.ts";

/**
 * Builds the cooperative backend (normally done by the selector, once).
 *
 * @returns A frozen cooperative {@linkcode Backend}.
 *
 * @example
 * ```ts
 * import { createCooperativeBackend } from "@fjord/fjord/backends";
 * import assert from "node:assert/strict";
 *
 * assert.equal(createCooperativeBackend().type, "cooperative");
 * ```
 */
export function createCooperativeBackend(): Backend {
  return Object.freeze({
    type: BackendType.COOPERATIVE,
    ...BACKEND_ISOLATION.cooperative,
    components: Object.freeze({
      ...commonComponents(),
      Executor: AsyncPoolExecutor,
    }),
  });
}
