// Gets SIGTERM between launchService() and wait(), the moment a service manager may stop a unit
// that has just started. `deno run sigterm_at_start.ts <isolation> <dir>`.

import { ProcessLauncher } from "@fjord/fjord";

const [isolation, dir] = Deno.args as ["worker" | "process", string];
const launcher = new ProcessLauncher(undefined, { isolation, migrateRequests: false });
launcher.launchService({
  module: new URL("./self_launching.ts", import.meta.url),
  export: "api",
  args: [dir],
}, { workers: 2 });
Deno.kill(Deno.pid, "SIGTERM");
// Long enough for the signal to be delivered before wait() is called.
await new Promise((resolve) => setTimeout(resolve, 300));
Deno.exit(await launcher.wait());
