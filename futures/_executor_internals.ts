// Executor operations that are not public API (installed by executor.ts's static block).

import type { BaseExecutor } from "./executor.ts";

export interface ExecutorInternals {
  /** SynchronousExecutor.restart(): clears the shutdown flag and the statistics. */
  restart(executor: BaseExecutor): void;
}

export const executorInternals: ExecutorInternals = {} as ExecutorInternals;
