// SynchronousExecutor: runs work in the caller's call to submit(). An async function's future
// settles when its promise does; a TaskRef is imported first, so it completes asynchronously.

import { type Runner, runnerFactories, type RunnerHost, type Work } from "./_runner.ts";
import { runLocal } from "./_run_local.ts";

export function createInlineRunner(host: RunnerHost): Runner {
  return {
    acceptsFunctions: true,
    freeSlots: () => Infinity,
    start(work: Work): void {
      runLocal(work, host);
    },
    close: () => Promise.resolve(),
  };
}

runnerFactories.inline = (host) => createInlineRunner(host);
