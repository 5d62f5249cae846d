// A ProcessLauncher (process isolation) running flood_service.ts: its worker's output goes to
// this program's stdout, which the test reads slowly or not at all.

import { ProcessLauncher } from "../../../mod.ts";

const launcher = new ProcessLauncher(undefined, { isolation: "process" });
launcher.launchService({ module: new URL("./flood_service.ts", import.meta.url), export: "flood" });
Deno.exit(await launcher.wait());
