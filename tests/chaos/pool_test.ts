// The short versions of the pool chaos scenarios (the full ones run in `deno task chaos`).
import assert from "node:assert/strict";
import faults from "../../chaos/scenarios/pool_faults.ts";
import memory from "../../chaos/scenarios/pool_memory.ts";

for (const scenario of [faults, memory]) {
  Deno.test(`chaos (short): ${scenario.name}`, async () => {
    const { count, failures } = await scenario.run({
      iterations: scenario.iterations.short,
      full: false,
    });
    assert.deepEqual(failures, []);
    assert.ok(count > 0);
  });
}
