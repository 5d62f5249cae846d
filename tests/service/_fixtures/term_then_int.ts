// A ServiceLauncher whose service's graceful stop hangs gets SIGTERM, then SIGINT: wait()
// resolves 1 and the program must then end by itself (no Deno.exit), with graceful_shutdown_timeout
// at 30 s. Exits 0 when wait() resolved 1.

import { Config, ServiceLauncher } from "../../../mod.ts";

const conf = new Config();
await conf.load({ args: [] });
const launcher = new ServiceLauncher(conf); // registers the fjord options
conf.setOverride("graceful_shutdown_timeout", 30);
launcher.launchService({
  start(): void {},
  stop: (o) => o?.graceful ? new Promise<void>(() => {}) : undefined,
  wait: () => new Promise<void>(() => {}),
  reset(): void {},
});
setTimeout(() => Deno.kill(Deno.pid, "SIGTERM"), 100);
setTimeout(() => Deno.kill(Deno.pid, "SIGINT"), 400);
const code = await launcher.wait();
if (code !== 1) throw new Error(`wait() resolved ${code}`);
