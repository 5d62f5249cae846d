// Launches sibling_service.ts in process isolation and stops once it said hello (or after 20 s).
import { ProcessLauncher } from "@fjord/fjord";

const launcher = new ProcessLauncher(undefined, {
  isolation: "process",
  restart: { maxRestarts: 0 },
});
launcher.launchService({ module: new URL("./sibling_service.ts", import.meta.url) });
const giveUp = setTimeout(() => launcher.stop(), 20_000);
const code = await launcher.wait();
clearTimeout(giveUp);
Deno.exit(code);
