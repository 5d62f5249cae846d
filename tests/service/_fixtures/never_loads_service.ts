// A service module whose top-level await never settles: a worker never gets its export.

import type { ServiceBase } from "@fjord/fjord";

await new Promise<never>(() => {});

export class NeverLoaded implements ServiceBase {
  start(): void {}
  stop(): void {}
  wait(): Promise<void> {
    return new Promise(() => {});
  }
  reset(): void {}
}
