import assert from "node:assert/strict";
import scenario from "../../chaos/scenarios/lock_external.ts";

Deno.test("chaos (short): external lock counters stay exact while holders are SIGKILLed, both modes", async () => {
  const { count, failures } = await scenario.run({
    iterations: scenario.iterations.short,
    full: false,
  });
  assert.deepEqual(failures, []);
  assert.ok(count > 0);
});
