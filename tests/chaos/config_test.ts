// The short run of chaos/scenarios/config_fuzz.ts (the full run is `deno task chaos`).

import assert from "node:assert/strict";
import scenario, { seed } from "../../chaos/scenarios/config_fuzz.ts";

Deno.test(`chaos config fuzz: fuzzed files and command lines fail only with typed errors (seed ${seed})`, async () => {
  const { count, failures } = await scenario.run({
    iterations: scenario.iterations.short,
    full: false,
  });
  assert.deepEqual(failures, []);
  assert.ok(count > 0);
});
