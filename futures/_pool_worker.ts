// Entry module of a WorkerPoolExecutor Web Worker. Tasks that kill the Worker (self.close(),
// Deno.exit(), an uncaught error or rejection) are reported to the pool first, so it can fail
// exactly the tasks that were running and re-send the others to a fresh Worker.

import { receiveFjordInit } from "../runtime/_fjord_worker.ts";
import { createTaskHost } from "./_task_host.ts";
import type { FromWorker, ToWorker } from "./_protocol.ts";

await receiveFjordInit();

const scope = self as unknown as {
  close(): void;
  postMessage(msg: unknown, transfer: Transferable[]): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  addEventListener: typeof globalThis.addEventListener;
};
const host = createTaskHost((msg: FromWorker, transfer) => scope.postMessage(msg, transfer));
const realClose = scope.close.bind(scope);
const realExit = Deno.exit;

scope.close = (): void => {
  host.crash("a task called self.close()");
  realClose();
};
try {
  Object.defineProperty(Deno, "exit", {
    configurable: true,
    writable: true,
    value: (code?: number): never => {
      host.crash(`a task called Deno.exit(${code ?? ""})`);
      realClose();
      return realExit(code);
    },
  });
} catch {
  // Deno.exit cannot be wrapped: the pool notices nothing until the task times out.
}
scope.addEventListener("error", (event: Event) => {
  event.preventDefault();
  const e = event as ErrorEvent;
  host.crash(`an uncaught error (${e.message})`, e.error);
  realClose();
});
scope.addEventListener("unhandledrejection", (event: Event) => {
  event.preventDefault();
  const e = event as PromiseRejectionEvent;
  host.crash("an unhandled promise rejection", e.reason);
  realClose();
});
scope.onmessage = (e: MessageEvent<ToWorker>): void => {
  if (e.data.t === "run") host.handle(e.data.b);
};
host.ready();
