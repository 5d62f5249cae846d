// execute() and sshExecute() check `clock` before spawning: a bad clock used to surface only
// at a retry's delay or the timeout ("now is not a function"), after the command had run.

import assert from "node:assert/strict";
import type { Clock } from "../../runtime/clock.ts";
import { execute, sshExecute } from "../../process/mod.ts";
import { assertRefusesClock, BAD_CLOCKS } from "../_util.ts";

Deno.test("execute() and sshExecute() reject a clock that is not a Clock before spawning", async () => {
  for (const [value, shown] of BAD_CLOCKS) {
    const clock = value as Clock;
    let spawned = false;
    const onExecute = (): void => {
      spawned = true;
    };
    await assertRefusesClock([
      ["execute", () => execute("true", { clock, onExecute })],
      ["execute", () => sshExecute("host", "true", { clock })],
    ], shown);
    assert.equal(spawned, false);
  }
});
