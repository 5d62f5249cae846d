// The short run of chaos/scenarios/process_hostile.ts (the full run is `deno task chaos`).

import assert from "node:assert/strict";
import scenario, { seed } from "../../chaos/scenarios/process_hostile.ts";

Deno.test(`chaos process hostile: execute() inputs settle typed, nothing left running (seed ${seed})`, async () => {
  const { count, failures } = await scenario.run({
    iterations: scenario.iterations.short,
    full: false,
  });
  assert.deepEqual(failures, []);
  assert.ok(count > 0);
});
