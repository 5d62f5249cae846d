// A launcher service that crashes its worker right after it started: an uncaught error in a Web
// Worker, exit code 1 in a child process (both ways are noticed the same way by the host).

import type { ServiceBase } from "../../mod.ts";

export function crashing(): ServiceBase {
  return {
    start(): void {
      setTimeout(() => Deno.exit(1), 0);
    },
    stop(): void {},
    wait: () => new Promise<void>(() => {}),
    reset(): void {},
  };
}
