import assert from "node:assert/strict";
import { ExecutorStatistics } from "../../futures/mod.ts";

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
