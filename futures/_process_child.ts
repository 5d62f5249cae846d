// Bootstrap module of a ProcessPoolExecutor child (`deno run ... _process_child.ts <backend>`).
// stdin carries length-prefixed v8-serialized run batches; stdout carries results the same way.
// The child exits on stdin EOF once its running tasks are done, so none outlives its parent.
// console.log/info/debug go to stderr: stdout belongs to the protocol.

import { isBackendType } from "../runtime/backend_type.ts";
import { setSelectedBackendType } from "../runtime/selection.ts";
import { createTaskHost } from "./_task_host.ts";
import {
  decodePayload,
  encodeFrame,
  FrameReader,
  type FromWorker,
  type ToWorker,
} from "./_protocol.ts";

const backend = Deno.args[0];
if (backend !== undefined && isBackendType(backend)) setSelectedBackendType(backend);

// deno-lint-ignore no-console
console.log = console.info = console.debug = console.error;

const realExit = Deno.exit;

function writeAll(bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.byteLength) off += Deno.stdout.writeSync(bytes.subarray(off));
}

const host = createTaskHost((msg: FromWorker) => writeAll(encodeFrame(msg)));

Object.defineProperty(Deno, "exit", {
  configurable: true,
  writable: true,
  value: (code?: number): never => {
    host.crash(`a task called Deno.exit(${code ?? ""})`);
    return realExit(code);
  },
});
globalThis.addEventListener("error", (event: ErrorEvent) => {
  event.preventDefault();
  host.crash(`an uncaught error (${event.message})`, event.error);
  realExit(1);
});
globalThis.addEventListener("unhandledrejection", (event: PromiseRejectionEvent) => {
  event.preventDefault();
  host.crash("an unhandled promise rejection", event.reason);
  realExit(1);
});

host.ready();

const reader = new FrameReader();
for await (const chunk of Deno.stdin.readable) {
  for (const payload of reader.push(chunk)) {
    const msg = decodePayload(payload) as ToWorker;
    if (msg.t === "run") host.handle(msg.b);
  }
}
await host.idle();
realExit(0);
