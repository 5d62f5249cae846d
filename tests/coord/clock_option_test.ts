// connect() checks `clock` at the call: a bad clock used to fail only when the session's
// heartbeat first read it ("now is not a function"), inside a timer, after connecting.

import type { Clock } from "../../runtime/clock.ts";
import { connect } from "../../coord/mod.ts";
import { assertRefusesClock, BAD_CLOCKS } from "../_util.ts";

Deno.test("connect() rejects a clock that is not a Clock, naming 'clock'", async () => {
  for (const [value, shown] of BAD_CLOCKS) {
    const clock = value as Clock;
    await assertRefusesClock(
      [["connect", () => connect("memory://clock-check", { clock })]],
      shown,
    );
  }
});
