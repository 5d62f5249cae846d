import assert from "node:assert/strict";
import { FakeClock } from "../../backends/mod.ts";
import {
  AsyncPoolExecutor,
  CancelledError,
  ExecutorShutdownError,
  RejectedSubmissionError,
  rejectWhenReached,
  transfer,
} from "../../futures/mod.ts";

function gate(): { promise: Promise<void>; open: () => void } {
  const { promise, resolve } = Promise.withResolvers<void>();
  return { promise, open: () => resolve() };
}

async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not reached in 10 s");
    await new Promise((r) => setTimeout(r, 1));
  }
}

Deno.test("AsyncPoolExecutor() rejects maxWorkers below 1 and a non-function checkAndReject", () => {
  assert.throws(() => new AsyncPoolExecutor({ maxWorkers: 0 }), RangeError);
  assert.throws(() => new AsyncPoolExecutor({ maxWorkers: Number.NaN }), RangeError);
  assert.throws(
    () => new AsyncPoolExecutor({ checkAndReject: 5 as unknown as () => void }),
    TypeError,
  );
});

Deno.test("AsyncPoolExecutor defaults maxWorkers to hardwareConcurrency × 5", async () => {
  await using ex = new AsyncPoolExecutor();
  const g = gate();
  let active = 0;
  let peak = 0;
  const n = navigator.hardwareConcurrency * 5;
  const fs = Array.from({ length: n + 3 }, () =>
    ex.submit(async () => {
      peak = Math.max(peak, ++active);
      await g.promise;
      active--;
    }));
  await until(() => active === n);
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(active, n);
  g.open();
  await Promise.all(fs);
  assert.equal(peak, n);
});

Deno.test("AsyncPoolExecutor starts work in submission order and never inside submit()", async () => {
  await using ex = new AsyncPoolExecutor({ maxWorkers: 1 });
  const order: number[] = [];
  const fs = [1, 2, 3, 4].map((i) => ex.submit(() => order.push(i)));
  assert.deepEqual(order, []);
  assert.ok(!fs[0]!.running());
  await Promise.all(fs);
  assert.deepEqual(order, [1, 2, 3, 4]);
});

Deno.test("AsyncPoolExecutor keeps at most maxWorkers tasks running", async () => {
  await using ex = new AsyncPoolExecutor({ maxWorkers: 3 });
  let active = 0;
  let peak = 0;
  const fs = Array.from({ length: 20 }, (_, i) =>
    ex.submit(async () => {
      peak = Math.max(peak, ++active);
      await new Promise((r) => setTimeout(r, i % 3));
      active--;
      return i;
    }));
  const values = await Promise.all(fs);
  assert.equal(peak, 3);
  assert.deepEqual(values, Array.from({ length: 20 }, (_, i) => i));
});

Deno.test("Future.cancel() before start skips the work and counts it as cancelled", async () => {
  await using ex = new AsyncPoolExecutor({ maxWorkers: 1 });
  const g = gate();
  let ran = false;
  const first = ex.submit(() => g.promise);
  const second = ex.submit(() => {
    ran = true;
  });
  await until(() => first.running());
  assert.equal(first.cancel(), false);
  assert.equal(second.cancel(), true);
  assert.equal(second.cancel(), true);
  assert.ok(second.done());
  // futurist counts a cancelled future at cancel() time.
  assert.equal(ex.statistics.cancelled, 1);
  assert.equal(ex.statistics.executed, 0);
  g.open();
  await first;
  await assert.rejects(second.result(), CancelledError);
  assert.equal(ran, false);
  assert.equal(ex.statistics.executed, 1);
  assert.equal(ex.statistics.cancelled, 1);
});

Deno.test("AsyncPoolExecutor statistics follow futurist: runtime from submit, failures, average", async () => {
  using clock = new FakeClock();
  await using ex = new AsyncPoolExecutor({ maxWorkers: 1, clock });
  assert.equal(ex.statistics.averageRuntime, 0);
  const a = ex.submit(() => clock.sleep(100));
  const b = ex.submit(() => {
    throw new Error("boom");
  });
  await clock.tickAsync(100);
  await a;
  await b.exception();
  const s = ex.statistics;
  assert.equal(s.executed, 2);
  assert.equal(s.failures, 1);
  assert.equal(s.cancelled, 0);
  // b waited 100 ms in the queue: pools measure from submit.
  assert.equal(s.runtime, 200);
  assert.equal(s.averageRuntime, 100);
  // A snapshot never changes: later work shows in a new one.
  await ex.submit(() => 0);
  assert.equal(s.executed, 2);
  assert.equal(ex.statistics.executed, 3);
});

Deno.test("AsyncPoolExecutor.submit() rejects at backlog >= maxBacklog, not counting running work", async () => {
  await using ex = new AsyncPoolExecutor({ maxWorkers: 1, checkAndReject: rejectWhenReached(2) });
  const g = gate();
  const running = ex.submit(() => g.promise);
  const q1 = ex.submit(() => 1);
  const q2 = ex.submit(() => 2);
  const err = (() => {
    try {
      ex.submit(() => 3);
    } catch (e) {
      return e;
    }
  })();
  assert.ok(err instanceof RejectedSubmissionError);
  assert.equal(err.message, "Current backlog 2 is not allowed to go beyond 2");
  assert.equal(err.backlog, 2);
  g.open();
  await running;
  assert.deepEqual(await Promise.all([q1, q2]), [1, 2]);
  // Rejected submissions are not counted.
  assert.equal(ex.statistics.executed, 3);
  ex.submit(() => 4);
});

Deno.test("AsyncPoolExecutor.shutdown() waits for queued and running work", async () => {
  const ex = new AsyncPoolExecutor({ maxWorkers: 1 });
  const done: number[] = [];
  for (let i = 0; i < 4; i++) {
    ex.submit(async () => {
      await new Promise((r) => setTimeout(r, 2));
      done.push(i);
    });
  }
  await ex.shutdown({ wait: true });
  assert.deepEqual(done, [0, 1, 2, 3]);
  assert.throws(() => ex.submit(() => 1), ExecutorShutdownError);
});

Deno.test("AsyncPoolExecutor.shutdown({wait: false}) returns at once and strands nothing", async () => {
  const ex = new AsyncPoolExecutor({ maxWorkers: 1 });
  const g = gate();
  const running = ex.submit(() => g.promise);
  const queued = ex.submit(() => "ran");
  await ex.shutdown({ wait: false });
  assert.equal(ex.alive, false);
  assert.equal(queued.done(), false);
  g.open();
  await running;
  assert.equal(await queued, "ran");
});

Deno.test("AsyncPoolExecutor.shutdown({cancelFutures: true}) cancels queued work, finishes running work", async () => {
  const ex = new AsyncPoolExecutor({ maxWorkers: 1 });
  const g = gate();
  const running = ex.submit(() => g.promise.then(() => "finished"));
  const queued = [ex.submit(() => 1), ex.submit(() => 2)];
  await until(() => running.running());
  const stopping = ex.shutdown({ cancelFutures: true });
  assert.ok(queued.every((f) => f.cancelled()));
  g.open();
  await stopping;
  assert.equal(await running, "finished");
  assert.equal(ex.statistics.cancelled, 2);
});

Deno.test("A task submitting to its own executor during shutdown gets ExecutorShutdownError", async () => {
  const ex = new AsyncPoolExecutor({ maxWorkers: 1 });
  const g = gate();
  const task = ex.submit(async () => {
    await g.promise;
    return ex.submit(() => "nested");
  });
  await until(() => task.running());
  const stopping = ex.shutdown({ wait: true });
  g.open();
  await stopping;
  const err = await task.exception();
  assert.ok(err instanceof ExecutorShutdownError);
});

Deno.test("AsyncPoolExecutor runs TaskRefs by importing them in this isolate", async () => {
  await using ex = new AsyncPoolExecutor({ maxWorkers: 2 });
  const ref = { module: new URL("./_fixtures/tasks.ts", import.meta.url), export: "add" };
  assert.equal(await ex.submit(ref, 20, 22), 42);
});

Deno.test("AsyncPoolExecutor unwraps transfer()-marked arguments and results", async () => {
  await using ex = new AsyncPoolExecutor();
  const buf = new ArrayBuffer(4);
  const got = await ex.submit((b: ArrayBuffer) => transfer(b.byteLength, []), transfer(buf, [buf]));
  assert.equal(got, 4);
  assert.equal(buf.byteLength, 4, "nothing leaves this isolate");
});

Deno.test("AsyncPoolExecutor.map() cancels unstarted work when the loop is left early", async () => {
  await using ex = new AsyncPoolExecutor({ maxWorkers: 1 });
  const started: number[] = [];
  const out: number[] = [];
  for await (
    const v of ex.map(async (x: number) => {
      started.push(x);
      await new Promise((r) => setTimeout(r, 1));
      return x * 10;
    }, [1, 2, 3, 4])
  ) {
    out.push(v);
    break;
  }
  await ex.shutdown();
  assert.deepEqual(out, [10]);
  // Item 2 had already started when 1's result was taken; 3 and 4 were still queued.
  assert.deepEqual(started, [1, 2]);
  assert.equal(ex.statistics.cancelled, 2);
  assert.equal(ex.statistics.executed, 2);
});

Deno.test("AsyncPoolExecutor.map() throws a refused submission and cancels what it submitted", async () => {
  await using ex = new AsyncPoolExecutor({ maxWorkers: 1, checkAndReject: rejectWhenReached(2) });
  const ran: number[] = [];
  assert.throws(
    () => ex.map((x: number) => ran.push(x), [1, 2, 3, 4]),
    RejectedSubmissionError,
  );
  await ex.shutdown();
  assert.deepEqual(ran, []);
  assert.equal(ex.statistics.cancelled, 3);
  assert.equal(ex.statistics.executed, 0);
});

Deno.test("Executor.submit() throws ExecutorShutdownError when checkAndReject shut the executor down", async () => {
  const ex: AsyncPoolExecutor = new AsyncPoolExecutor({
    // The callback runs during submit(), after `ex` is assigned.
    checkAndReject: () => void ex.shutdown({ wait: false }),
  });
  let ran = false;
  assert.throws(() =>
    ex.submit(() => {
      ran = true;
    }), ExecutorShutdownError);
  await ex.shutdown();
  assert.equal(ran, false);
  assert.equal(ex.statistics.executed + ex.statistics.cancelled, 0);
});

Deno.test("submitWith({ timeout: Infinity }) runs the task with no timeout, the executor's taskTimeout included", async () => {
  using clock = new FakeClock();
  await using ex = new AsyncPoolExecutor({ maxWorkers: 2, taskTimeout: 30, clock });
  const { promise, resolve } = Promise.withResolvers<string>();
  const unbounded = ex.submitWith({ timeout: Infinity }, () => promise);
  const bounded = ex.submit(() => promise);
  await clock.tickAsync(1_000);
  // Before, both had the executor's 30 ms.
  await assert.rejects(bounded.result(), { name: "TimeoutError" });
  assert.equal(unbounded.done(), false);
  resolve("done");
  assert.equal(await unbounded, "done");
});

Deno.test("AsyncPoolExecutor abandons a task at its timeout: the future rejects with TimeoutError and the slot is freed", async () => {
  await using ex = new AsyncPoolExecutor({ maxWorkers: 1, taskTimeout: 30 });
  let release!: () => void;
  const hung = ex.submit(() => new Promise<void>((r) => release = r));
  const next = ex.submit(() => "next");
  await assert.rejects(hung.result(), { name: "TimeoutError" });
  assert.equal(await next, "next");
  release(); // its late outcome is ignored
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(ex.statistics.executed, 2);
  assert.equal(ex.statistics.failures, 1);
  assert.throws(() => new AsyncPoolExecutor({ taskTimeout: -5 }), /'taskTimeout' must be/);
});

Deno.test("AsyncPoolExecutor.shutdown({timeout}) cancels what still runs or waits after the grace period", async () => {
  const ex = new AsyncPoolExecutor({ maxWorkers: 1 });
  const hung = ex.submit(() => new Promise(() => {}));
  const queued = ex.submit(() => 1);
  await Promise.resolve();
  assert.ok(hung.running());
  const t0 = performance.now();
  await ex.shutdown({ timeout: 30 });
  assert.ok(performance.now() - t0 < 2_000);
  assert.ok(hung.cancelled() && queued.cancelled());
  await assert.rejects(hung.result(), CancelledError);
  assert.equal(ex.statistics.cancelled, 2);
  assert.throws(() => ex.shutdown({ timeout: Number.NaN }), RangeError);
});

Deno.test("AsyncPoolExecutor: a numeric option given as a string is a TypeError naming it a string", async () => {
  // It was a RangeError saying "current value is 2", hiding that "2" was a string.
  assert.throws(() => new AsyncPoolExecutor({ maxWorkers: "2" as unknown as number }), {
    name: "TypeError",
    message:
      "Cannot create executor as 'maxWorkers' must be an integer >= 1: current value is string 2",
  });
  assert.throws(() => new AsyncPoolExecutor({ taskTimeout: "5" as unknown as number }), {
    name: "TypeError",
    message:
      "Cannot create executor as 'taskTimeout' must be a number >= 0 (ms): current value is string 5",
  });
  await using ex = new AsyncPoolExecutor({ maxWorkers: 1 });
  assert.throws(() => ex.submitWith({ timeout: "5" as unknown as number }, () => 1), {
    name: "TypeError",
    message: "Cannot submit as 'timeout' must be a number >= 0 (ms): current value is string 5",
  });
  assert.throws(() => ex.submitWith(null as unknown as { timeout?: number }, () => 1), {
    name: "TypeError",
    message: "Cannot submit as 'options' must be an object: current value is null",
  });
  assert.throws(() => ex.shutdown({ timeout: null as unknown as number }), {
    name: "TypeError",
    message: /'timeout' must be a number >= 0 \(ms\): current value is null$/,
  });
});

Deno.test("AsyncPoolExecutor: a numeric option that is a number out of range (NaN, -1) stays a RangeError", () => {
  assert.throws(() => new AsyncPoolExecutor({ maxWorkers: Number.NaN }), {
    name: "RangeError",
    message:
      "Cannot create executor as 'maxWorkers' must be an integer >= 1: current value is number NaN",
  });
  assert.throws(() => new AsyncPoolExecutor({ maxWorkers: -1 }), {
    name: "RangeError",
    message: /'maxWorkers' must be an integer >= 1: current value is number -1$/,
  });
  assert.throws(() => new AsyncPoolExecutor({ taskTimeout: -1 }), {
    name: "RangeError",
    message: /'taskTimeout' must be a number >= 0 \(ms\): current value is number -1$/,
  });
});
