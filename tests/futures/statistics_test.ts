import assert from "node:assert/strict";
import { FakeClock } from "../../backends/mod.ts";
import { AsyncPoolExecutor, ExecutorStatistics } from "../../futures/mod.ts";

Deno.test("ExecutorStatistics is an immutable snapshot with averageRuntime 0 when nothing ran", () => {
  const empty = new ExecutorStatistics();
  assert.deepEqual(
    [empty.failures, empty.executed, empty.runtime, empty.cancelled, empty.averageRuntime],
    [0, 0, 0, 0, 0],
  );
  const s = new ExecutorStatistics({ failures: 1, executed: 4, runtime: 10, cancelled: 2 });
  assert.equal(s.averageRuntime, 2.5);
  assert.ok(Object.isFrozen(s));
  assert.throws(() => {
    (s as { executed: number }).executed = 9;
  }, TypeError);
  assert.equal(String(s), "ExecutorStatistics(failures=1, executed=4, runtime=10.00, cancelled=2)");
  assert.throws(() => new ExecutorStatistics({ executed: -1 }), RangeError);
});

Deno.test("A submission whose signal is already aborted adds no runtime to the statistics", async () => {
  using clock = new FakeClock();
  clock.tick(5000);
  await using ex = new AsyncPoolExecutor({ clock });
  const aborted = AbortSignal.abort();
  const f = ex.submitWith({ signal: aborted }, () => 1);
  await assert.rejects(f.result(), { name: "AbortError" });
  assert.equal(ex.statistics.executed, 1);
  assert.equal(ex.statistics.failures, 1);
  assert.equal(ex.statistics.runtime, 0, "was clock.now() - 0: the start time was not set yet");
});

Deno.test("ExecutorStatistics: a counter given as a string is a TypeError, as NaN a RangeError", () => {
  assert.throws(() => new ExecutorStatistics({ executed: "2" as unknown as number }), {
    name: "TypeError",
    message:
      "Cannot create ExecutorStatistics as 'executed' must be a finite number >= 0: current value is string 2",
  });
  assert.throws(() => new ExecutorStatistics({ runtime: Number.NaN }), {
    name: "RangeError",
    message: /'runtime' must be a finite number >= 0: current value is number NaN$/,
  });
});
