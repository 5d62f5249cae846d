import assert from "node:assert/strict";
import { FakeClock } from "../../runtime/clock.ts";
import {
  DEFAULT_RESTART_POLICY,
  resolveRestartPolicy,
  type RestartPolicy,
  RestartTracker,
} from "../../runtime/restart_policy.ts";

Deno.test("RestartTracker restarts at once first, then backs off exponentially up to the cap", () => {
  using clock = new FakeClock();
  const policy = resolveRestartPolicy({
    maxRestarts: 10,
    window: 60_000,
    backoff: { initial: 100, factor: 2, max: 350 },
  });
  const t = new RestartTracker(policy, clock);
  const delays = [];
  for (let i = 0; i < 5; i++) {
    const d = t.onDeath();
    assert.ok(d.restart);
    delays.push(d.delay);
  }
  assert.deepEqual(delays, [0, 100, 200, 350, 350]);
});

Deno.test("RestartTracker gives up when restarts within the window exceed maxRestarts", () => {
  using clock = new FakeClock();
  const t = new RestartTracker(resolveRestartPolicy({ maxRestarts: 2, window: 1000 }), clock);
  assert.equal(t.onDeath().restart, true);
  assert.equal(t.onDeath().restart, true);
  const third = t.onDeath();
  assert.deepEqual(third, { restart: false, restarts: 3 });
});

Deno.test("RestartTracker forgets restarts older than the window", () => {
  using clock = new FakeClock();
  const t = new RestartTracker(resolveRestartPolicy({ maxRestarts: 1, window: 1000 }), clock);
  assert.equal(t.onDeath().restart, true);
  clock.tick(1001);
  const again = t.onDeath();
  assert.ok(again.restart);
  assert.equal(again.delay, 0);
  assert.equal(t.recent, 1);
});

Deno.test("resolveRestartPolicy fills defaults and rejects bad fields by name", () => {
  assert.equal(resolveRestartPolicy(undefined), DEFAULT_RESTART_POLICY);
  assert.equal(resolveRestartPolicy({ maxRestarts: Infinity }).maxRestarts, Infinity);
  assert.throws(() => resolveRestartPolicy({ maxRestarts: 1.5 }), {
    name: "RangeError",
    message: /restart\.maxRestarts/,
  });
  assert.throws(() => resolveRestartPolicy({ window: 0 }), { name: "RangeError" });
  assert.throws(
    () => resolveRestartPolicy({ backoff: { factor: "2" as unknown as number } }),
    { name: "TypeError", message: /restart\.backoff\.factor/ },
  );
  assert.throws(() => resolveRestartPolicy({ backoff: { initial: 500, max: 100 } }), {
    name: "RangeError",
    message: /restart\.backoff\.max/,
  });
});

Deno.test("RestartTracker: an initial delay of 0 stays 0 whatever the factor (no NaN delay)", () => {
  using clock = new FakeClock();
  for (const factor of [1, 2, Infinity]) {
    const policy = resolveRestartPolicy({ backoff: { initial: 0, factor } });
    const t = new RestartTracker(policy, clock);
    const delays = [];
    for (let i = 0; i < 4; i++) {
      const d = t.onDeath();
      assert.ok(d.restart);
      delays.push(d.delay);
    }
    assert.deepEqual(delays, [0, 0, 0, 0], `factor ${factor}`);
  }
});

Deno.test("resolveRestartPolicy rejects a non-finite backoff delay by name (a worker would restart never)", () => {
  // backoff.initial: Infinity was accepted: the second restart then slept forever and the
  // worker stayed "restarting".
  for (const field of ["initial", "max"] as const) {
    assert.throws(() => resolveRestartPolicy({ backoff: { [field]: Infinity } }), {
      name: "RangeError",
      message:
        `Cannot use restart policy as 'restart.backoff.${field}' must be a finite number >= ${
          field === "initial" ? 0 : 100
        }: current value is number Infinity`,
    });
  }
  assert.throws(() => resolveRestartPolicy({ backoff: { initial: -1 } }), {
    name: "RangeError",
    message: /'restart\.backoff\.initial' must be a finite number >= 0: current value is number -1/,
  });
  assert.throws(
    () => resolveRestartPolicy({ backoff: 5 } as unknown as RestartPolicy),
    {
      name: "TypeError",
      message: /'restart\.backoff' must be an object: current value is number 5/,
    },
  );
  // A factor of Infinity jumps to the cap: still allowed.
  assert.equal(resolveRestartPolicy({ backoff: { factor: Infinity } }).factor, Infinity);
});

Deno.test("resolveRestartPolicy: a number field given a string is a TypeError naming it a string", () => {
  // "2" from an environment variable read as the number 2 in the message, hiding the mistake.
  assert.throws(
    () => resolveRestartPolicy({ maxRestarts: "2" as unknown as number }),
    {
      name: "TypeError",
      message:
        "Cannot use restart policy as 'restart.maxRestarts' must be an integer >= 0: current value is string 2",
    },
  );
  assert.throws(() => resolveRestartPolicy({ window: null as unknown as number }), {
    name: "TypeError",
    message: /'restart\.window' must be a number >= 1: current value is null$/,
  });
  assert.throws(() => resolveRestartPolicy("fast" as unknown as RestartPolicy), {
    name: "TypeError",
    message: /'restart' must be an object: current value is string fast$/,
  });
});

Deno.test("resolveRestartPolicy: a number field out of range (NaN, -1) stays a RangeError", () => {
  assert.throws(() => resolveRestartPolicy({ maxRestarts: Number.NaN }), {
    name: "RangeError",
    message: /'restart\.maxRestarts' must be an integer >= 0: current value is number NaN$/,
  });
  assert.throws(() => resolveRestartPolicy({ maxRestarts: -1 }), {
    name: "RangeError",
    message: /current value is number -1$/,
  });
});

Deno.test("resolveRestartPolicy: a misspelt field is a TypeError naming it, not a silent default", () => {
  // `maxRestart: 3` used to keep the default of 10 restarts without a word.
  assert.throws(() => resolveRestartPolicy({ maxRestart: 3 } as RestartPolicy), {
    name: "TypeError",
    message:
      "Cannot use restart policy as 'restart' has the unknown field 'maxRestart' (known: maxRestarts, window, backoff)",
  });
  assert.throws(
    () => resolveRestartPolicy({ backoff: { inital: 50 } } as unknown as RestartPolicy),
    {
      name: "TypeError",
      message:
        "Cannot use restart policy as 'restart.backoff' has the unknown field 'inital' (known: initial, max, factor)",
    },
  );
  // Every known field together still resolves.
  assert.deepEqual(
    resolveRestartPolicy({
      maxRestarts: 3,
      window: 10,
      backoff: { initial: 1, max: 2, factor: 3 },
    }),
    { maxRestarts: 3, window: 10, initial: 1, max: 2, factor: 3 },
  );
});
