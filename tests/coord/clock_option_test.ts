// connect() checks `clock` at the call: a bad clock used to fail only when the session's
// heartbeat first read it ("now is not a function"), inside a timer, after connecting.

import assert from "node:assert/strict";
import type { Clock } from "../../runtime/clock.ts";
import { connect } from "../../coord/mod.ts";

Deno.test("connect() rejects a clock that is not a Clock, naming 'clock'", async () => {
  const bad: [unknown, string][] = [[5, "number 5"], [{ now: 1 }, "an instance of Object"]];
  for (const [value, shown] of bad) {
    await assert.rejects(connect("memory://clock-check", { clock: value as Clock }), {
      name: "TypeError",
      message:
        `Cannot connect as 'clock' must be a Clock (an object with now() and sleep()): current value is ${shown}`,
    });
  }
});
