// The entry module of a ProcessLauncher worker in "worker" isolation: a module Web Worker that
// runs one service and talks to the launcher with postMessage.

import { receiveFjordInit } from "../runtime/_fjord_worker.ts";
import { serializeError } from "../runtime/_error_transfer.ts";
import {
  type FromWorker,
  type LauncherWorkerInit,
  LauncherWorkerRuntime,
  type ToWorker,
} from "./_launcher_runtime.ts";

// The worker global scope, typed without the "deno.worker" lib (one tsconfig for the package).
const scope = self as unknown as {
  postMessage(message: unknown): void;
  addEventListener(type: "message", listener: (event: MessageEvent<ToWorker>) => void): void;
  close(): void;
};

const init = await receiveFjordInit<LauncherWorkerInit>();
const send = (msg: FromWorker): void => scope.postMessage(msg);
const runtime = new LauncherWorkerRuntime(init, send);
scope.addEventListener("message", (event) => runtime.handle(event.data));
// Tell the launcher at once when an uncaught error is about to end this worker: the error
// event it gets from Deno comes later.
for (const type of ["error", "unhandledrejection"] as const) {
  (self as unknown as EventTarget).addEventListener(type, (event) => {
    const reason = type === "error"
      ? (event as ErrorEvent).error ?? (event as ErrorEvent).message
      : (event as PromiseRejectionEvent).reason;
    send({ ev: "error", phase: "uncaught", error: serializeError(reason) });
    send({ ev: "exit", code: 1 });
  });
}
const code = await runtime.run();
send({ ev: "exit", code });
scope.close();
