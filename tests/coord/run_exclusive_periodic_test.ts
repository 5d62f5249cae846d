// runExclusivePeriodic() at its edges: intervals beyond a timer's range.

import assert from "node:assert/strict";
import { connect, runExclusivePeriodic } from "../../coord/mod.ts";

Deno.test(
  "runExclusivePeriodic: an interval beyond setTimeout's 24.8 days waits for its tick, " +
    "not claiming at once and then in a busy loop",
  async () => {
    await using coord = await connect("memory://periodic-long-interval");
    // 100 years: the first tick is decades away, far past 2^31 - 1 ms.
    const interval = 100 * 365 * 86_400_000;
    const controller = new AbortController();
    let runs = 0;
    const running = runExclusivePeriodic(coord, "yearly", interval, () => {
      runs++;
    }, { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 300));
    controller.abort();
    await running;
    assert.equal(runs, 0, "ran decades before its tick");
  },
);
