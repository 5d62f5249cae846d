// runExclusivePeriodic() at its edges: intervals beyond a timer's range, a stop while the server
// does not answer, odd values thrown by the task.

import assert from "node:assert/strict";
import { claimExclusiveTick, connect, runExclusivePeriodic } from "../../coord/mod.ts";
import { captureLog, waitFor } from "../_util.ts";
import { engines, ownEtcd } from "./_servers.ts";

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

const etcd = engines.find((e) => e.name === "etcd")!;
Deno.test(
  "runExclusivePeriodic: resolves at once when its signal aborts while a claim hangs on a " +
    "frozen server",
  { ignore: !etcd.available },
  async () => {
    await using server = await ownEtcd();
    await using coord = await connect(server.url, { ttl: 6_000 });
    const controller = new AbortController();
    let runs = 0;
    const running = runExclusivePeriodic(coord, "frozen", 100, () => {
      runs++;
    }, { signal: controller.signal });
    let frozen = false;
    try {
      await waitFor(() => runs > 0, "a first run", 5_000);
      Deno.kill(server.pid, "SIGSTOP");
      frozen = true;
      // Past the next tick: its claim is under way, unanswered.
      await new Promise((r) => setTimeout(r, 400));
      const t0 = performance.now();
      controller.abort();
      await running;
      const took = performance.now() - t0;
      assert.ok(took < 300, `resolved ${Math.round(took)} ms after the abort`);
    } finally {
      controller.abort();
      if (frozen) Deno.kill(server.pid, "SIGCONT");
      await running;
    }
  },
);

Deno.test(
  "runExclusivePeriodic: a tick throwing a value with no string form is logged and the " +
    "schedule goes on",
  async () => {
    using log = captureLog();
    await using coord = await connect("memory://periodic-odd-throw");
    const thrown = [Object.create(null), {
      toString(): string {
        throw new Error("no string form");
      },
    }];
    const controller = new AbortController();
    let runs = 0;
    await runExclusivePeriodic(coord, "odd", 20, () => {
      runs++;
      if (runs === 3) controller.abort();
      else throw thrown[runs - 1];
    }, { signal: controller.signal });
    assert.equal(runs, 3);
    const failed = log.records.filter((r) => r.level === "error");
    assert.equal(failed.length, 2);
    assert.match(failed[0]!.message, /^Periodic task "odd" tick \d+ failed$/);
    assert.deepEqual(failed.map((r) => r.details[0]), thrown);
  },
);

Deno.test("runExclusivePeriodic, claimExclusiveTick: a bad 'o' or 'signal' is a TypeError naming it", async () => {
  await using coord = await connect("memory://periodic-bad-options");
  const named = (param: string) => ({
    name: "TypeError",
    message: new RegExp(`'${param}' must be`),
  });
  const fn = (): void => {};
  assert.throws(() => runExclusivePeriodic(coord, "x", 100, fn, null as never), named("o"));
  assert.throws(() => runExclusivePeriodic(coord, "x", 100, fn, 5 as never), named("o"));
  for (const signal of [{}, "stop", new AbortController()]) {
    assert.throws(
      () => runExclusivePeriodic(coord, "x", 100, fn, { signal: signal as never }),
      named("signal"),
    );
    assert.throws(
      () => claimExclusiveTick(coord, "x", 100, { signal: signal as never }),
      named("signal"),
    );
  }
  assert.throws(() => claimExclusiveTick(coord, "x", 100, null as never), named("o"));
});

Deno.test("runExclusivePeriodic, claimExclusiveTick: an interval too short to number its ticks exactly is refused alike, naming 'interval'", async () => {
  await using coord = await connect("memory://periodic-tiny-interval");
  // Date.now() / 1e-4 is ~1.8e16 in 2026, past 2^53: consecutive tick numbers are not exact.
  for (const interval of [1e-4, 1e-7, Number.MIN_VALUE]) {
    const controller = new AbortController();
    let runs = 0;
    // Either way out (a synchronous throw or a promise) counts: both must refuse.
    const outcomeOf = async (call: () => Promise<unknown>, ok: () => string): Promise<unknown> => {
      try {
        await call();
        return ok();
      } catch (e) {
        return e;
      }
    };
    const timer = setTimeout(() => controller.abort(), 200);
    const ran = await outcomeOf(
      () =>
        runExclusivePeriodic(coord, `tiny-${interval}`, interval, () => {
          runs++;
        }, { signal: controller.signal }),
      () => `resolved after ${runs} runs in 200 ms`,
    );
    clearTimeout(timer);
    const claimed = await outcomeOf(
      () => claimExclusiveTick(coord, `tiny-${interval}`, interval),
      () => "claimed a tick",
    );
    const outcomes: [string, unknown][] = [
      ["runExclusivePeriodic", ran],
      ["claimExclusiveTick", claimed],
    ];
    for (const [what, outcome] of outcomes) {
      assert.ok(outcome instanceof RangeError, `${what}(${interval}): ${String(outcome)}`);
      assert.match(outcome.message, /'interval' must be .*at least 0\.001 ms/, what);
    }
  }
  // The floor itself numbers its ticks exactly.
  assert.ok((await claimExclusiveTick(coord, "floor", 0.001)) !== undefined);
});

Deno.test("claimExclusiveTick: an 'interval' given as a string is a TypeError, as 0 a RangeError", async () => {
  await using coord = await connect("memory://periodic-bad-interval");
  assert.throws(() => claimExclusiveTick(coord, "x", "2" as unknown as number), {
    name: "TypeError",
    message:
      `Cannot claim a tick of "x" as 'interval' must be a finite number of ms, at least 0.001 ms: current value is string 2`,
  });
  assert.throws(() => claimExclusiveTick(coord, "x", Number.NaN), {
    name: "RangeError",
    message:
      /'interval' must be a finite number of ms, at least 0\.001 ms: current value is number NaN$/,
  });
  assert.throws(() => claimExclusiveTick(coord, "x", 100, { index: "3" as unknown as number }), {
    name: "TypeError",
    message: `Cannot claim a tick of "x" as 'index' must be an integer: current value is string 3`,
  });
  assert.throws(() => runExclusivePeriodic(coord, "x", 100, null as never), {
    name: "TypeError",
    message: `Cannot run "x" as 'fn' must be a function: current value is null`,
  });
});
