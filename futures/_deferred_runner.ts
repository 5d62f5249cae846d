// The Web Worker and child process runners (with the isolate host and node:v8 under them) are
// loaded when the first such pool is created, not when fjord is imported: most processes that
// import fjord never start a pool, and every module loaded at start delays the process's first
// statement. Until the load is done the pool's runner has no free slot (submitted work waits in
// the executor's queue); then the real runner is built and the queue drained. _isolate_runner.ts
// registers itself when loaded, so later pools build the real runner at once.

import { BrokenExecutorError } from "./errors.ts";
import { type Runner, runnerFactories, type RunnerFactory } from "./_runner.ts";

let loading: Promise<unknown> | undefined;

function deferredRunner(kind: "worker" | "process"): RunnerFactory {
  const self: RunnerFactory = (host, options) => {
    let inner: Runner | undefined;
    // Shutdown's timeout may pass while the runner still loads: the real one hurries from birth.
    let hurried = false;
    const ready = (loading ??= import("./_isolate_runner.ts")).then(() => {
      const factory = runnerFactories[kind];
      if (factory === undefined || factory === self) throw new Error(`no ${kind} runner`);
      inner = factory(host, options);
      if (hurried) inner.hurryClose?.();
      host.kick();
    }).catch((error: unknown) => {
      host.broke(
        new BrokenExecutorError(
          `${kind} could not be started: ${error instanceof Error ? error.message : error}`,
          undefined,
          { cause: error },
        ),
      );
    });
    return {
      acceptsFunctions: false,
      freeSlots: (backlog) => inner === undefined ? 0 : inner.freeSlots(backlog),
      start: (work) => inner!.start(work),
      stop: (work) => inner!.stop(work),
      started: () => inner === undefined ? [] : inner.started(),
      async close(): Promise<void> {
        await ready;
        await inner?.close();
      },
      hurryClose(): void {
        hurried = true;
        inner?.hurryClose?.();
      },
    };
  };
  return self;
}

runnerFactories.worker ??= deferredRunner("worker");
runnerFactories.process ??= deferredRunner("process");
