// A service that writes 64 KiB to stdout every millisecond until it is stopped.

import type { ServiceBase } from "../../../mod.ts";

export function flood(): ServiceBase {
  let stopped = false;
  const done = Promise.withResolvers<void>();
  return {
    start(): void {
      const chunk = new TextEncoder().encode(("y".repeat(1023) + "\n").repeat(64));
      void (async () => {
        while (!stopped) {
          await Deno.stdout.write(chunk).catch(() => {});
          await new Promise((r) => setTimeout(r, 1));
        }
      })();
    },
    stop(): void {
      stopped = true;
      done.resolve();
    },
    wait: () => done.promise,
    reset(): void {},
  };
}
