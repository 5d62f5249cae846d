import assert from "node:assert/strict";
import scenario from "../../chaos/scenarios/coord_counter.ts";
import { cluster, engines } from "../coord/_servers.ts";

Deno.test(
  "chaos coord: the fenced counter survives a killed holder, a frozen holder and a killed etcd leader",
  { ignore: !(cluster.available && engines.every((e) => e.available)) },
  async () => {
    const { count, failures } = await scenario.run({
      iterations: scenario.iterations.short,
      full: false,
    });
    assert.deepEqual(failures, []);
    assert.ok(count > 0);
  },
);
