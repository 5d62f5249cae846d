// The entry module of every ProcessLauncher worker, a Web Worker or a child process alike. The
// isolate guest is connected before anything else, so every way the worker ends is reported.
// In a child, SIGTERM stops gracefully (as the stop command does); SIGINT and SIGHUP are left to
// the parent (a terminal sends them to the whole process group; the parent decides).
//
// No top-level await: a Web Worker that ends (Deno.exit, self.close) while its entry module's
// evaluation is still pending is never freed by Deno, ~0.5 MiB lost per worker crash.

import { connectGuest, type Guest } from "../runtime/_isolate_guest.ts";
import { preloadModule } from "../runtime/_module_loader.ts";
import { consoleLogger, getLogger, type Logger, setLogger } from "../runtime/logger.ts";
import type { FromWorker, LauncherWorkerInit, ToWorker } from "./_launcher_runtime.ts";

// fjord's and the service's log records go to the launcher's logger, whole (one message each).
function forwardingLogger(guest: Guest<ToWorker, FromWorker>): Logger {
  const method =
    (level: "debug" | "info" | "warning" | "error") =>
    (message: string, ...details: unknown[]): void => {
      const text = details.length === 0
        ? message
        : [message, ...details.map((d) => typeof d === "string" ? d : Deno.inspect(d))].join(" ");
      guest.log(level, text);
    };
  return {
    debug: method("debug"),
    info: method("info"),
    warning: method("warning"),
    error: method("error"),
  };
}

async function main(guest: Guest<ToWorker, FromWorker>): Promise<void> {
  setLogger(forwardingLogger(guest));
  const init = guest.data as LauncherWorkerInit;
  // The service module loads while the runtime's graph does (the loader shares the module map:
  // loadServiceExport then finds it loaded); its failure is reported there, in the "load" phase.
  preloadModule(init.ref.module);
  const { LauncherWorkerRuntime } = await runtimeModule;
  const runtime = new LauncherWorkerRuntime(init, (msg) => guest.send(msg));
  guest.onMessage = (cmd) => runtime.handle(cmd);
  guest.onInputEnd = () => {
    // The parent died (a child's stdin closed): stop gracefully, bounded by the timeout.
    setLogger(consoleLogger); // nobody reads the forwarded records any more
    getLogger().warning(`Parent process has died unexpectedly, worker ${Deno.pid} exiting`);
    runtime.handle({ op: "stop", graceful: true });
    // Capped: setTimeout fires at once past 2^31-1 ms (~24.8 days), which would end the drain.
    const bound = Math.min(init.gracefulTimeoutMs, 0x7fffffff);
    if (bound > 0) setTimeout(() => Deno.exit(1), bound);
  };
  if (guest.isolation === "process") {
    const ignore = (): void => {};
    Deno.addSignalListener("SIGTERM", () => runtime.handle({ op: "stop", graceful: true }));
    Deno.addSignalListener("SIGINT", ignore);
    Deno.addSignalListener("SIGHUP", ignore);
  }
  guest.exit(await runtime.run());
}

void connectGuest<ToWorker, FromWorker>().then(main);
// Loaded while the parent's init frame is on its way, after the guest has hooked every way the
// isolate can end (a failure surfaces when main awaits it).
const runtimeModule = import("./_launcher_runtime.ts");
runtimeModule.catch(() => {});
