// AsyncPoolExecutor: at most `max` pieces of work in flight on this isolate's event loop.

import { cpuCount, type Runner, runnerFactories, type RunnerHost, type Work } from "./_runner.ts";
import { runLocal } from "./_run_local.ts";

export function createAsyncRunner(host: RunnerHost, max: number): Runner {
  let running = 0;
  const settled = (): void => {
    running--;
  };
  return {
    acceptsFunctions: true,
    freeSlots: () => max - running,
    start(work: Work): void {
      running++;
      runLocal(work, host, settled);
    },
    close: () => Promise.resolve(),
  };
}

runnerFactories.async = (host, o) => createAsyncRunner(host, o.maxWorkers ?? cpuCount() * 5);
