// A service module whose top-level await takes a while (a connection made at import, say):
// every worker must get its export once it settles, never a half-evaluated module.

import type { ServiceBase } from "@fjord/fjord";

await new Promise((resolve) => setTimeout(resolve, 800));

export class SlowLoaded implements ServiceBase {
  start(): void {
    Deno.stdout.writeSync(new TextEncoder().encode(`SLOW STARTED ${Deno.pid}\n`));
  }
  stop(): void {}
  wait(): void {}
  reset(): void {}
}
