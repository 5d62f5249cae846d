import assert from "node:assert/strict";
import { FakeClock, systemClock } from "../../runtime/clock.ts";
import { checkClock, clockError } from "../../runtime/_check_clock.ts";

Deno.test("checkClock accepts undefined and any object with now() and sleep()", () => {
  using fake = new FakeClock();
  const own = { now: () => 0, sleep: () => Promise.resolve() };
  for (const clock of [undefined, systemClock, fake, own]) {
    checkClock(clock, "run");
    assert.equal(clockError(clock, "run"), undefined);
  }
});

Deno.test("checkClock names the option and describes a value that is not a Clock", () => {
  const cases: [unknown, string][] = [
    [5, "number 5"],
    [null, "null"],
    [{}, "an instance of Object"],
    [{ now: 1, sleep: () => Promise.resolve() }, "an instance of Object"],
    [{ now: () => 0 }, "an instance of Object"],
    [() => 0, "function (anonymous)"],
  ];
  for (const [clock, shown] of cases) {
    assert.throws(() => checkClock(clock, "run", "timerClock"), {
      name: "TypeError",
      message:
        `Cannot run as 'timerClock' must be a Clock (an object with now() and sleep()): current value is ${shown}`,
    });
  }
});
