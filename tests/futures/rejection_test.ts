import assert from "node:assert/strict";
import {
  RejectedSubmissionError,
  rejectWhenReached,
  SynchronousExecutor,
} from "../../futures/mod.ts";

Deno.test("rejectWhenReached() refuses once backlog >= maxBacklog", () => {
  const reject = rejectWhenReached(2);
  const ex = new SynchronousExecutor();
  reject(ex, 0);
  reject(ex, 1);
  assert.throws(() => reject(ex, 2), (e: unknown) => {
    assert.ok(e instanceof RejectedSubmissionError);
    assert.equal(e.name, "RejectedSubmissionError");
    assert.equal(e.backlog, 2);
    assert.equal(e.maxBacklog, 2);
    assert.equal(e.message, "Current backlog 2 is not allowed to go beyond 2");
    return true;
  });
  assert.throws(() => reject(ex, 5), RejectedSubmissionError);
  assert.throws(() => rejectWhenReached(-1), RangeError);
  assert.throws(() => rejectWhenReached(1.5), RangeError);
  const zero = rejectWhenReached(0);
  assert.throws(() => zero(ex, 0), RejectedSubmissionError);
});

Deno.test("rejectWhenReached: 'maxBacklog' as a string is a TypeError, as -1 a RangeError", () => {
  assert.throws(() => rejectWhenReached("2" as unknown as number), {
    name: "TypeError",
    message:
      "Cannot create rejecter as 'maxBacklog' must be an integer >= 0: current value is string 2",
  });
  assert.throws(() => rejectWhenReached(-1), {
    name: "RangeError",
    message:
      "Cannot create rejecter as 'maxBacklog' must be an integer >= 0: current value is number -1",
  });
});
