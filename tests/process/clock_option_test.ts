// execute() and sshExecute() check `clock` before spawning: a bad clock used to surface only
// at a retry's delay or the timeout ("now is not a function"), after the command had run.

import assert from "node:assert/strict";
import type { Clock } from "../../runtime/clock.ts";
import { execute, sshExecute } from "../../process/mod.ts";

Deno.test("execute() and sshExecute() reject a clock that is not a Clock before spawning", async () => {
  const bad: [unknown, string][] = [[5, "number 5"], [{ now: 1 }, "an instance of Object"]];
  for (const [value, shown] of bad) {
    const clock = value as Clock;
    let spawned = false;
    const onExecute = (): void => {
      spawned = true;
    };
    for (
      const call of [
        () => execute("true", { clock, onExecute }),
        () => sshExecute("host", "true", { clock }),
      ]
    ) {
      await assert.rejects(async () => await call(), {
        name: "TypeError",
        message:
          `Cannot execute as 'clock' must be a Clock (an object with now() and sleep()): current value is ${shown}`,
      });
    }
    assert.equal(spawned, false);
  }
});
