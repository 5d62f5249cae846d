import assert from "node:assert/strict";
import scenario from "../../chaos/scenarios/launcher_crash_memory.ts";

Deno.test("chaos (short): a launcher replaces every crashing worker in both isolations", async () => {
  const { count, failures } = await scenario.run({
    iterations: scenario.iterations.short,
    full: false,
  });
  assert.deepEqual(failures, []);
  assert.ok(count > 0);
});
