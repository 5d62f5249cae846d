// A ProcessLauncher (process isolation) running flood_service.ts: its worker's output goes to
// this program's stdout, which the test reads slowly or not at all. Writes "RSS <bytes>" lines
// to stderr every 250 ms (the test may not read /proc without --allow-all).

import { ProcessLauncher } from "../../../mod.ts";

const encoder = new TextEncoder();
const report = setInterval(() => {
  Deno.stderr.writeSync(encoder.encode(`RSS ${Deno.memoryUsage().rss}\n`));
}, 250);
const launcher = new ProcessLauncher(undefined, { isolation: "process" });
launcher.launchService({ module: new URL("./flood_service.ts", import.meta.url), export: "flood" });
const code = await launcher.wait();
clearInterval(report);
Deno.exit(code);
