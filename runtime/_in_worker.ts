// Whether this isolate is a Web Worker: its global scope is a WorkerGlobalScope, which Deno's main
// isolate does not have. Fixed for the isolate's life, so computed once.

/** True in a Web Worker, false in the main isolate. */
export const inWorker: boolean =
  typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope === "function" &&
  globalThis instanceof
    (globalThis as unknown as { WorkerGlobalScope: abstract new () => unknown })
      .WorkerGlobalScope;
