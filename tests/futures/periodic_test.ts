import assert from "node:assert/strict";
import { isPeriodic, NeverAgain, periodic } from "../../futures/mod.ts";

Deno.test("periodic() marks a copy of the function with its spacing", () => {
  function tick(this: unknown, a: number): number {
    return a + 1;
  }
  const p = periodic(500, { runImmediately: true })(tick);
  assert.ok(isPeriodic(p));
  assert.ok(!isPeriodic(tick));
  assert.deepEqual({ ...p.periodic }, { spacing: 500, runImmediately: true, enabled: true });
  assert.equal(p.name, "tick");
  assert.equal(p(1), 2);
});

Deno.test("periodic() rejects spacing <= 0 unless disabled", () => {
  assert.throws(() => periodic(0), RangeError);
  assert.throws(() => periodic(-5), /'spacing' must be a number > 0: current value is number -5$/);
  assert.throws(() => periodic(Number.NaN, { enabled: false }), RangeError);
  const off = periodic(0, { enabled: false })(() => {});
  assert.ok(isPeriodic(off));
  assert.equal(off.periodic.enabled, false);
  assert.throws(() => periodic(10)(5 as unknown as () => void), TypeError);
});

Deno.test("periodic() works as a TC39 method decorator", () => {
  class Jobs {
    n = 1;
    @periodic(1000)
    beat(): number {
      return this.n;
    }
  }
  const jobs = new Jobs();
  assert.ok(isPeriodic(jobs.beat));
  assert.equal(jobs.beat(), 1);
});

Deno.test("NeverAgain is a named Error", () => {
  const e = new NeverAgain();
  assert.ok(e instanceof Error);
  assert.equal(e.name, "NeverAgain");
});

Deno.test("periodic(): 'spacing' given as a string is a TypeError naming it a string", () => {
  assert.throws(() => periodic("5" as unknown as number), {
    name: "TypeError",
    message: "Cannot mark periodic as 'spacing' must be a number > 0: current value is string 5",
  });
  assert.throws(() => periodic(Number.NaN), {
    name: "RangeError",
    message: /current value is number NaN$/,
  });
});
