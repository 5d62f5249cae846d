// The README's api.ts shape with the flags it names (--unstable-net --allow-read --allow-env
// --allow-net), run at a terminal by migrate_req_test.ts: turning on tcp_migrate_req once the
// worker has started must not stop the program at a permission prompt. The launcher's warning
// that it could not set it (it cannot, with these flags) is the cue to stop.

import { getLogger, ProcessLauncher, type ServiceBase, setLogger } from "@fjord/fjord";

export function api(): ServiceBase {
  const stopped = Promise.withResolvers<void>();
  return {
    start(): void {},
    stop(): void {
      stopped.resolve();
    },
    wait: () => stopped.promise,
    reset(): void {},
  };
}

if (import.meta.main) {
  const launcher = new ProcessLauncher(undefined, { isolation: "worker" });
  const log = getLogger();
  setLogger({
    debug: log.debug,
    info: log.info,
    error: log.error,
    warning(message: string, ...details: unknown[]): void {
      log.warning(message, ...details);
      if (message.includes("tcp_migrate_req")) void launcher.stop();
    },
  });
  launcher.launchService({ module: import.meta.url, export: "api" }, { workers: 1 });
  Deno.exit(await launcher.wait());
}
