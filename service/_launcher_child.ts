// The main module of a ProcessLauncher worker in "process" isolation (`deno run` of this file).
// stdin carries the init line, then commands (JSON lines); its EOF means the parent died.
// Events go to stdout as marker lines the parent filters out; everything else the service
// prints passes through. SIGTERM stops gracefully; SIGINT and SIGHUP are left to the parent
// (a terminal sends them to the whole process group; the parent decides).

import { setSelectedBackendType } from "../runtime/selection.ts";
import { getLogger } from "../runtime/logger.ts";
import {
  type FromWorker,
  type LauncherWorkerInit,
  LauncherWorkerRuntime,
  type ToWorker,
} from "./_launcher_runtime.ts";
import { EVENT_MARKER, lines } from "../runtime/_child_io.ts";

const encoder = new TextEncoder();

// Written whole and synchronously, so the service's own output cannot land inside an event.
function send(msg: FromWorker): void {
  const bytes = encoder.encode(`${EVENT_MARKER}${JSON.stringify(msg)}\n`);
  let off = 0;
  try {
    while (off < bytes.length) off += Deno.stdout.writeSync(bytes.subarray(off));
  } catch {
    // The parent is gone (broken pipe): stdin's EOF stops the service gracefully.
  }
}

const input = lines(Deno.stdin.readable);
const first = await input.next();
if (first.done) Deno.exit(0);
const init = JSON.parse(first.value) as LauncherWorkerInit;
if (init.backend !== undefined) setSelectedBackendType(init.backend);

const runtime = new LauncherWorkerRuntime(init, send);
const ignore = (): void => {};
Deno.addSignalListener("SIGTERM", () => runtime.handle({ op: "stop", graceful: true }));
Deno.addSignalListener("SIGINT", ignore);
Deno.addSignalListener("SIGHUP", ignore);

(async () => {
  for await (const line of input) {
    if (line !== "") runtime.handle(JSON.parse(line) as ToWorker);
  }
  getLogger().warning(`Parent process has died unexpectedly, worker ${Deno.pid} exiting`);
  runtime.handle({ op: "stop", graceful: true });
  if (init.gracefulTimeoutMs > 0) {
    setTimeout(() => Deno.exit(1), init.gracefulTimeoutMs);
  }
})();

Deno.exit(await runtime.run());
