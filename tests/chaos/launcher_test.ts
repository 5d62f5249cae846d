// The short versions of the launcher chaos scenarios (the full ones run in `deno task chaos`).

import assert from "node:assert/strict";
import type { Scenario } from "../../chaos/scenario.ts";
import kills from "../../chaos/scenarios/launcher_kills.ts";
import endings from "../../chaos/scenarios/launcher_endings.ts";
import crashLoop from "../../chaos/scenarios/launcher_crash_loop.ts";
import reloadHttp from "../../chaos/scenarios/launcher_reload_http.ts";
import signals from "../../chaos/scenarios/launcher_signals.ts";

async function runShort(s: Scenario): Promise<void> {
  const { count, failures } = await s.run({ iterations: s.iterations.short, full: false });
  assert.deepEqual(failures, []);
  assert.ok(count > 0, `${s.name}: nothing was exercised`);
}

Deno.test("chaos (short): killed launcher workers are all replaced, none orphaned", async () => {
  await runShort(kills);
});

Deno.test("chaos (short): workers ending by exit/close/throw/rejection are noticed and replaced", async () => {
  await runShort(endings);
});

Deno.test("chaos (short): a crash loop gives up with RestartIntensityError and exit 2", async () => {
  await runShort(crashLoop);
});

Deno.test("chaos (short): SIGHUP rolling reloads under HTTP load lose no request", async () => {
  await runShort(reloadHttp);
});

Deno.test("chaos (short): SIGTERM/SIGINT during start-up, reload and stop", async () => {
  await runShort(signals);
});
