import assert from "node:assert/strict";
import { FakeClock } from "../../backends/mod.ts";
import { captureLog } from "../_util.ts";
import {
  AsyncPoolExecutor,
  NeverAgain,
  periodic,
  type PeriodicFn,
  PeriodicWorker,
  rejectWhenReached,
  type ScheduleStrategy,
  WorkerPoolExecutor,
} from "../../futures/mod.ts";

/** Runs `worker` on `clock` for `ms` of fake time, then stops it and waits for it. */
async function runFor(worker: PeriodicWorker, clock: FakeClock, ms: number): Promise<void> {
  const running = worker.start();
  await clock.tickAsync(ms);
  worker.stop();
  // Let a callback still sleeping on the fake clock finish so start() can return.
  while (!(await worker.wait({ timeout: 0 }))) {
    if (!(await clock.next())) await clock.runMicrotasks();
  }
  await running;
}

/** A callback that records when it started and takes `duration` ms of fake time. */
function timed(
  clock: FakeClock,
  spacing: number,
  duration: number,
  starts: number[],
): PeriodicFn {
  return periodic(spacing)(async function job(): Promise<void> {
    starts.push(clock.now());
    if (duration > 0) await clock.sleep(duration);
  });
}

// The reference's worked example: s = 2, S = 2, F = 3 → last_started 4, last_finished 5;
// F = 5 → aligned 6 (seconds there, ms here).
const EXAMPLES: [ScheduleStrategy, number, number[]][] = [
  ["last_started", 1000, [2000, 4000, 6000, 8000]],
  ["last_finished", 1000, [2000, 5000, 8000]],
  ["aligned_last_finished", 1000, [2000, 4000, 6000, 8000]],
  ["aligned_last_finished", 3000, [2000, 6000]],
  // A run longer than the spacing: the next is already due, so runs go back to back.
  ["last_started", 3000, [2000, 5000, 8000]],
];

for (const [strategy, duration, expected] of EXAMPLES) {
  Deno.test(`PeriodicWorker '${strategy}' with ${duration} ms runs every 2000 ms starts at ${expected.join(", ")}`, async () => {
    using clock = new FakeClock();
    const starts: number[] = [];
    const worker = new PeriodicWorker([[timed(clock, 2000, duration, starts)]], {
      clock,
      scheduleStrategy: strategy,
    });
    await runFor(worker, clock, expected.at(-1)!);
    assert.deepEqual(starts, expected);
  });
}

Deno.test("PeriodicWorker jitter strategies add at most 5% of the spacing", async () => {
  const bases: Record<string, number> = {
    "last_started_jitter": 4000,
    "last_finished_jitter": 5000,
    "aligned_last_finished_jitter": 4000,
  };
  for (const [strategy, base] of Object.entries(bases)) {
    for (let i = 0; i < 5; i++) {
      using clock = new FakeClock();
      const starts: number[] = [];
      const worker = new PeriodicWorker([[timed(clock, 2000, 1000, starts)]], {
        clock,
        scheduleStrategy: strategy as ScheduleStrategy,
      });
      await runFor(worker, clock, base + 100);
      assert.equal(starts[0], 2000);
      assert.ok(starts[1]! >= base && starts[1]! < base + 100, `${strategy}: ${starts[1]}`);
    }
  }
});

Deno.test("PeriodicWorker runs runImmediately callbacks at start (the verified 0, 200, 400, 600 sample)", async () => {
  using clock = new FakeClock();
  const starts: number[] = [];
  const beat = periodic(200, { runImmediately: true })(() => {
    starts.push(clock.now());
  });
  const worker = new PeriodicWorker([[beat]], { clock });
  await runFor(worker, clock, 600);
  assert.deepEqual(starts, [0, 200, 400, 600]);
});

Deno.test("PeriodicWorker counts failures, calls onFailure, and drops a callback raising NeverAgain", async () => {
  using clock = new FakeClock();
  const failures: unknown[][] = [];
  let n = 0;
  const fail = periodic(100)(function fail(): never {
    if (++n <= 2) throw new RangeError(`fail ${n}`);
    throw new NeverAgain();
  });
  const worker = new PeriodicWorker([[fail]], {
    clock,
    onFailure: (...a: unknown[]) => failures.push(a),
  });
  const done = worker.start({ autoStopWhenEmpty: true });
  await clock.runAll();
  await done;
  const [w] = [...worker.iterWatchers()];
  assert.equal(w!.name, "fail");
  assert.deepEqual(
    [w!.runs, w!.successes, w!.failures, w!.requestedStop],
    [3, 1, 2, true],
  );
  assert.equal(failures.length, 2);
  assert.equal(failures[0]![0], fail);
  assert.equal(failures[0]![1], "periodic");
  assert.equal(failures[0]![2], 100);
  assert.ok(failures[0]![3] instanceof RangeError);
  assert.equal(clock.now(), 300);
});

Deno.test("PeriodicWorker logs failures by default and survives a throwing onFailure", async () => {
  using clock = new FakeClock();
  using log = captureLog();
  const errors = log.errors;
  {
    const bad = periodic(50, { runImmediately: true })(function bad(): never {
      throw new Error("x");
    });
    await runFor(new PeriodicWorker([[bad]], { clock }), clock, 0);
    assert.match(errors[0]!, /Failed to call immediate 'bad' \(it runs every 50 ms\)/);
    errors.length = 0;
    const worker = new PeriodicWorker([[bad]], {
      clock,
      onFailure: () => {
        throw new Error("handler broke");
      },
    });
    await runFor(worker, clock, 50);
    assert.equal(worker.iterWatchers().next().value!.runs, 2);
    assert.ok(errors.every((e) => /onFailure/.test(e)));
  }
});

Deno.test("PeriodicWorker never overlaps a callback with itself, even on a concurrent executor", async () => {
  using clock = new FakeClock();
  let active = 0;
  let peakSelf = 0;
  let bothActive = false;
  let otherActive = false;
  const slow = periodic(100)(async function slow(): Promise<void> {
    peakSelf = Math.max(peakSelf, ++active);
    if (otherActive) bothActive = true;
    await clock.sleep(350);
    active--;
  });
  const other = periodic(100)(async function other(): Promise<void> {
    otherActive = true;
    if (active > 0) bothActive = true;
    await clock.sleep(50);
    otherActive = false;
  });
  const worker = new PeriodicWorker([[slow], [other]], {
    clock,
    executorFactory: () => new AsyncPoolExecutor({ maxWorkers: 4 }),
  });
  await runFor(worker, clock, 2000);
  assert.equal(peakSelf, 1);
  assert.ok(bothActive, "different callbacks overlap on a concurrent executor");
  const [slowW] = [...worker.iterWatchers()];
  assert.ok(slowW!.runs >= 4);
  assert.equal(slowW!.averageElapsed, 350);
});

Deno.test("PeriodicWorker.start() refuses to start twice or empty; allowEmpty waits for add()", async () => {
  using clock = new FakeClock();
  assert.throws(() => new PeriodicWorker([]).start(), {
    name: "InvalidStateError",
    message: /without any callables/,
  });
  const worker = new PeriodicWorker([], { clock });
  const running = worker.start({ allowEmpty: true });
  assert.throws(() => worker.start({ allowEmpty: true }), {
    name: "InvalidStateError",
    message: /can not be started twice/,
  });
  const starts: number[] = [];
  await clock.tickAsync(1000);
  const watcher = worker.add(timed(clock, 300, 0, starts));
  assert.equal(watcher?.runs, 0);
  await clock.tickAsync(600);
  assert.deepEqual(starts, [1300, 1600]);
  assert.equal(watcher?.runs, 2);
  worker.stop();
  await running;
});

Deno.test("PeriodicWorker.stop() lets the running callback finish before start() resolves", async () => {
  using clock = new FakeClock();
  let finished = false;
  const long = periodic(100, { runImmediately: true })(async () => {
    await clock.sleep(500);
    finished = true;
  });
  const worker = new PeriodicWorker([[long]], { clock });
  let resolved = false;
  const running = worker.start().then(() => {
    resolved = true;
  });
  await clock.tickAsync(10);
  worker.stop();
  worker.stop();
  await clock.tickAsync(100);
  assert.equal(resolved, false);
  assert.equal(await worker.wait({ timeout: 0 }), false);
  await clock.tickAsync(400);
  await running;
  assert.ok(finished);
  assert.equal(await worker.wait({ timeout: 10 }), true);
});

Deno.test("PeriodicWorker.wait({timeout}) resolves false before start and on timeout", async () => {
  using clock = new FakeClock();
  const worker = new PeriodicWorker([[periodic(100)(() => {})]], { clock });
  assert.equal(await worker.wait({ timeout: 0 }), false);
  assert.throws(() => worker.wait({ timeout: -1 }), RangeError);
  const running = worker.start();
  const waiting = worker.wait({ timeout: 50 });
  await clock.tickAsync(50);
  assert.equal(await waiting, false);
  const ctl = new AbortController();
  const aborted = worker.wait({ signal: ctl.signal });
  ctl.abort(new Error("no more"));
  await assert.rejects(aborted, /no more/);
  const untilDead = worker.wait();
  worker.stop();
  await running;
  assert.equal(await untilDead, true);
});

Deno.test("PeriodicWorker.reset() zeroes counters and reschedules, so start() works again", async () => {
  using clock = new FakeClock();
  const starts: number[] = [];
  const beat = periodic(100, { runImmediately: true })(() => {
    starts.push(clock.now());
  });
  const worker = new PeriodicWorker([[beat]], { clock });
  await runFor(worker, clock, 100);
  assert.deepEqual(starts, [0, 100]);
  // Without reset, the stop request still stands: start() returns at once.
  await worker.start();
  assert.deepEqual(starts, [0, 100]);
  worker.reset();
  const [w] = [...worker.iterWatchers()];
  assert.equal(w!.runs, 0);
  assert.equal(w!.averageElapsedWaiting, 0);
  await runFor(worker, clock, 100);
  assert.deepEqual(starts, [0, 100, 100, 200]);
  assert.equal(w!.runs, 2);
});

Deno.test("PeriodicWorker retries a submission its executor refuses after ~900-1100 ms", async () => {
  using clock = new FakeClock();
  using log = captureLog();
  const errors = log.errors;
  {
    let refuse = true;
    const starts: number[] = [];
    const job = periodic(100)(function job(): void {
      starts.push(clock.now());
    });
    const worker = new PeriodicWorker([[job]], {
      clock,
      executorFactory: () =>
        new AsyncPoolExecutor({
          clock,
          checkAndReject: (ex, backlog) => {
            if (refuse) {
              refuse = false;
              rejectWhenReached(0)(ex, backlog);
            }
          },
        }),
    });
    await runFor(worker, clock, 1300);
    assert.match(errors[0]!, /Failed to submit periodic callback 'job', retrying/);
    assert.ok(starts[0]! >= 1000 && starts[0]! < 1200, `first run at ${starts[0]}`);
  }
});

Deno.test("PeriodicWorker() validates callables, strategy and onFailure, and skips disabled ones", () => {
  const ok = periodic(10)(() => {});
  const off = periodic(0, { enabled: false })(() => {});
  assert.equal(new PeriodicWorker([[ok], [off], [ok, [1]]]).size, 2);
  assert.throws(
    () => new PeriodicWorker([[(() => {}) as unknown as typeof ok]]),
    /marked with periodic\(\)/,
  );
  assert.throws(
    () => new PeriodicWorker([[ok]], { scheduleStrategy: "soon" as ScheduleStrategy }),
    RangeError,
  );
  assert.throws(
    () => new PeriodicWorker([[ok]], { onFailure: 1 as unknown as () => void }),
    TypeError,
  );
  assert.throws(() => new PeriodicWorker([]).add((() => {}) as unknown as typeof ok), TypeError);
});

Deno.test("PeriodicWorker passes each callable's arguments and reports waiting time", async () => {
  using clock = new FakeClock();
  const seen: unknown[][] = [];
  const job = periodic(100)((...args: unknown[]) => {
    seen.push(args);
  });
  const worker = new PeriodicWorker([[job, ["a", 1]]], { clock });
  worker.add(job, "b");
  await runFor(worker, clock, 100);
  assert.deepEqual(seen, [["a", 1], ["b"]]);
  for (const w of worker.iterWatchers()) {
    assert.equal(w.elapsedWaiting, 0);
    assert.equal(w.successes, 1);
  }
});

Deno.test("PeriodicWorker [Symbol.asyncDispose] stops and waits", async () => {
  using clock = new FakeClock();
  let runs = 0;
  {
    await using worker = new PeriodicWorker(
      [[periodic(10, { runImmediately: true })(() => void runs++)]],
      { clock },
    );
    worker.start();
    await clock.tickAsync(0);
  }
  assert.equal(runs, 1);
});

Deno.test("PeriodicWorker.start() rejects when the executor cannot take the callback at all", async () => {
  using clock = new FakeClock();
  const job = periodic(10, { runImmediately: true })(() => {});
  const worker = new PeriodicWorker([[job]], {
    clock,
    executorFactory: () => new WorkerPoolExecutor({ maxWorkers: 1 }),
  });
  await assert.rejects(worker.start(), /TaskRef/);
  assert.equal(await worker.wait({ timeout: 0 }), true);
});

Deno.test("PeriodicWorker counts a run its executor timed out as a failure and can still stop", async () => {
  using clock = new FakeClock();
  let starts = 0;
  const failures: unknown[] = [];
  const hung = periodic(100, { runImmediately: true })(function hung(): Promise<void> {
    starts++;
    return new Promise(() => {});
  });
  const worker = new PeriodicWorker([[hung]], {
    clock,
    executorFactory: () => new AsyncPoolExecutor({ taskTimeout: 50, clock }),
    onFailure: (_fn, _kind, _spacing, error) => failures.push((error as Error).name),
  });
  const running = worker.start();
  await clock.tickAsync(250);
  worker.stop();
  await clock.tickAsync(50);
  let stopped = false;
  running.then(() => stopped = true);
  await clock.tickAsync(0);
  assert.ok(stopped, "start() resolves (it waited forever for the timed-out run)");
  assert.equal(starts, 3); // at 0, 100, 200; each timed out 50 ms later
  const [watcher] = [...worker.iterWatchers()];
  assert.equal(watcher!.runs, 3);
  assert.equal(watcher!.failures, 3);
  assert.deepEqual(failures, ["TimeoutError", "TimeoutError", "TimeoutError"]);
  assert.equal(watcher!.averageElapsed, 50);
});

Deno.test("PeriodicWorker's default SynchronousExecutor runs async callbacks one at a time", async () => {
  using clock = new FakeClock();
  let active = 0;
  let peak = 0;
  const starts: string[] = [];
  const make = (name: string): PeriodicFn =>
    periodic(100, { runImmediately: true })(async (): Promise<void> => {
      starts.push(`${name}@${clock.now()}`);
      peak = Math.max(peak, ++active);
      await clock.sleep(30);
      active--;
    });
  const worker = new PeriodicWorker([[make("a")], [make("b")]], { clock });
  await runFor(worker, clock, 150);
  assert.equal(peak, 1, "two callbacks ran at once on the inline executor");
  assert.deepEqual(starts, ["a@0", "b@30", "a@100", "b@130"]);
});

Deno.test("PeriodicWorker.start() throws a TypeError when executorFactory returns no executor", async () => {
  using clock = new FakeClock();
  const job = periodic(10, { runImmediately: true })(() => {});
  for (const bad of [undefined, null, {}, { submit: () => {} }]) {
    const worker = new PeriodicWorker([[job]], { clock, executorFactory: () => bad as never });
    assert.throws(() => worker.start(), {
      name: "TypeError",
      message: /'executorFactory' must return an Executor/,
    });
    assert.equal(await worker.wait({ timeout: 0 }), false, "never started");
  }
});

Deno.test("PeriodicWorker keeps a callback scheduled when start() fails on its submission", async () => {
  for (const runImmediately of [true, false]) {
    using clock = new FakeClock();
    let checks = 0;
    let runs = 0;
    const worker = new PeriodicWorker([[periodic(10, { runImmediately })(() => runs++)]], {
      clock,
      executorFactory: () =>
        new AsyncPoolExecutor({
          clock,
          checkAndReject: () => {
            if (++checks === 1) throw new Error("transient");
          },
        }),
    });
    const first = worker.start().then(() => "resolved", (err) => (err as Error).message);
    await clock.tickAsync(10);
    assert.equal(await first, "transient");
    const second = worker.start();
    await clock.tickAsync(25);
    worker.stop();
    await second;
    assert.ok(
      runs >= 2,
      `the callback ran ${runs} times after the second start() (runImmediately ${runImmediately})`,
    );
  }
});

Deno.test("PeriodicWorker: bad options are described by type ('string soon', 'number 1')", () => {
  const ok = periodic(10)(() => {});
  assert.throws(
    () => new PeriodicWorker([[ok]], { scheduleStrategy: "soon" as ScheduleStrategy }),
    {
      name: "RangeError",
      message: /'scheduleStrategy' must be one of .*: current value is string soon$/,
    },
  );
  assert.throws(
    () => new PeriodicWorker([[ok]], { onFailure: 1 as unknown as () => void }),
    { name: "TypeError", message: /'onFailure' must be a function: current value is number 1$/ },
  );
});

Deno.test("PeriodicWorker.wait() throws for a non-signal 'signal' with a TypeError naming it", () => {
  const worker = new PeriodicWorker([[periodic(1000)(() => {})]]);
  assert.throws(() => worker.wait({ signal: 1 as unknown as AbortSignal }), {
    name: "TypeError",
    message:
      "Cannot wait for PeriodicWorker as 'signal' must be an AbortSignal: current value is number 1",
  });
});
