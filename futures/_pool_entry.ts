// The entry module of every pool worker, a Web Worker (WorkerPoolExecutor) or a child process
// (ProcessPoolExecutor) alike. The isolate guest is connected first: a task that ends its isolate
// (self.close(), Deno.exit(), an uncaught error or rejection) is reported to the pool with the ids
// of the tasks that die with it, so it fails exactly those and re-sends the others. A child
// exits once its input ends (the pool shut down after its tasks, or died).
// No top-level await: a Worker that ends while its entry module is still evaluating leaks.

import { V8_CODEC } from "./_v8_codec.ts";
import { connectGuest } from "../runtime/_isolate_guest.ts";
import { createTaskHost } from "./_task_host.ts";
import type { FromWorker, ToWorker } from "./_protocol.ts";

// Tasks take and return any structured-cloneable value: v8 frames in a child process.
void connectGuest<ToWorker, FromWorker>(V8_CODEC).then((guest) => {
  const host = createTaskHost((msg, transfer) => guest.send(msg, transfer));
  guest.onEnding = () => host.ending();
  guest.onMessage = (msg) => {
    if (msg.t === "run") host.handle(msg.b);
  };
  // Input ends when the pool closes (after its tasks are done) or when the parent died: either
  // way nobody waits for a result any more, and a hung task must not keep the child alive.
  guest.onInputEnd = () => guest.exit(0);
  host.ready();
});
