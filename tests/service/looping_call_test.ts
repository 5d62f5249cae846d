import assert from "node:assert/strict";
import {
  BackOffLoopingCall,
  type Clock,
  DynamicLoopingCall,
  FakeClock,
  FixedIntervalLoopingCall,
  FixedIntervalWithTimeoutLoopingCall,
  LoopingCallDone,
  LoopingCallTimeOut,
  systemClock,
} from "../../backends/mod.ts";
import { captureLog, waitFor, withTimerThreadHeld } from "../_util.ts";
import { blockedMs, sleepUntil } from "../../runtime/_precise_sleep.ts";

// Reference vector 1: fixed 500 ms, the function takes 300 ms.
Deno.test("FixedIntervalLoopingCall.start() calls start-to-start and sleeps the rest", async () => {
  using log = captureLog();
  using clock = new FakeClock();
  const starts: number[] = [];
  const call = new FixedIntervalLoopingCall(async function work(): Promise<void> {
    starts.push(clock.now());
    await clock.sleep(300);
  }, { clock }).start({ interval: 500 });
  assert.equal(call.running, true);
  await clock.tickAsync(1700);
  call.stop();
  await clock.runAll();
  assert.equal(await call.wait(), true);
  assert.equal(call.running, false);
  assert.deepEqual(starts, [0, 500, 1000, 1500]);
  const sleeps = log.messages("debug").filter((m) => m.includes("sleeping"));
  assert.deepEqual(sleeps.slice(0, 3), [
    "Fixed interval looping call 'work' sleeping for 200.00 ms",
    "Fixed interval looping call 'work' sleeping for 200.00 ms",
    "Fixed interval looping call 'work' sleeping for 200.00 ms",
  ]);
  assert.deepEqual(log.messages("warning"), []);
});

// Reference vector 2: fixed 500 ms, the function takes 700 ms.
Deno.test("FixedIntervalLoopingCall.start() logs an overrun and starts the next call at once", async () => {
  using log = captureLog();
  using clock = new FakeClock();
  const starts: number[] = [];
  const call = new FixedIntervalLoopingCall(async function slow(): Promise<void> {
    starts.push(clock.now());
    await clock.sleep(700);
  }, { clock }).start({ interval: 500 });
  await clock.tickAsync(1500);
  call.stop();
  await clock.runAll();
  assert.equal(await call.wait(), true);
  assert.deepEqual(starts, [0, 700, 1400]);
  // The third call ends after stop(): like oslo, the loop exits without judging it.
  assert.deepEqual(log.messages("warning"), [
    "Function 'slow' run outlasted interval by 200.00 ms",
    "Function 'slow' run outlasted interval by 200.00 ms",
  ]);
});

Deno.test("FixedIntervalLoopingCall warns of an overrun from 5 ms, as oslo (0.01 s), not of microseconds", async () => {
  // Every call of an interval-0 loop "outlasted" it by its own few microseconds, and warned.
  using log = captureLog();
  using clock = new FakeClock();
  const lengths = [0.01, 4.99, 5, 0];
  let i = 0;
  const call = new FixedIntervalLoopingCall(async function busy(): Promise<void> {
    const length = lengths[i++];
    if (length === undefined) throw new LoopingCallDone();
    if (length > 0) await clock.sleep(length);
  }, { clock }).start({ interval: 0 });
  await clock.runAll();
  assert.equal(await call.wait(), true);
  assert.deepEqual(log.messages("warning"), ["Function 'busy' run outlasted interval by 5.00 ms"]);
});

Deno.test("FixedIntervalLoopingCall restarts its schedule after an overrun under 5 ms too, without a warning", async () => {
  // ff2d672 moved the warning's threshold and, by mistake, the re-anchoring with it: the call
  // after a 2 ms overrun then went back to the old grid (20, 30) instead of starting from 12.
  using log = captureLog();
  using clock = new FakeClock();
  const starts: number[] = [];
  const call = new FixedIntervalLoopingCall(async function late(): Promise<void> {
    starts.push(clock.now());
    if (starts.length === 1) await clock.sleep(12);
    if (starts.length === 4) throw new LoopingCallDone();
  }, { clock }).start({ interval: 10 });
  await clock.runAll();
  assert.equal(await call.wait(), true);
  assert.deepEqual(starts, [0, 12, 22, 32]);
  assert.deepEqual(log.messages("warning"), []);
});

Deno.test("FixedIntervalLoopingCall.start() keeps the schedule anchored and re-anchors after an overrun", async () => {
  using _log = captureLog();
  using clock = new FakeClock();
  const durations = [30, 80, 10, 150, 10, 10];
  const starts: number[] = [];
  const call = new FixedIntervalLoopingCall(async () => {
    starts.push(clock.now());
    const d = durations[starts.length - 1];
    if (d === undefined) throw new LoopingCallDone("end");
    await clock.sleep(d);
  }, { clock }).start({ interval: 100 });
  await clock.runAll();
  assert.equal(await call.wait(), "end");
  // 0, 100, 200 on the grid; the call at 300 takes 150, so the next starts at once at 450 and
  // the grid moves there: 550, 650.
  assert.deepEqual(starts, [0, 100, 200, 300, 450, 550, 650]);
});

/** A clock whose sleeps wake `late(n)` ms after their due time (the n-th sleep). */
function lateClock(fake: FakeClock, late: (n: number) => number): Clock {
  let n = 0;
  return {
    now: () => fake.now(),
    sleep: (ms, options) => fake.sleep(ms + late(n++), options),
  };
}

Deno.test("FixedIntervalLoopingCall does not drift when wake-ups are late", async () => {
  using fake = new FakeClock();
  const clock = lateClock(fake, () => 3);
  const starts: number[] = [];
  const call = new FixedIntervalLoopingCall(() => {
    starts.push(clock.now());
    if (starts.length === 50) throw new LoopingCallDone();
  }, { clock }).start({ interval: 10 });
  await fake.runAll();
  await call.wait();
  // Every tick is 3 ms late, none later: the schedule is T0 + k * 10, not the last start + 10.
  assert.deepEqual(starts.slice(1), Array.from({ length: 49 }, (_, i) => (i + 1) * 10 + 3));
});

Deno.test("FixedIntervalLoopingCall catches up after a short stall and skips after a long one", async () => {
  using fake = new FakeClock();
  // The 2nd sleep wakes 25 ms late (caught up), the 6th 2500 ms late (skipped).
  const clock = lateClock(fake, (n) => n === 1 ? 25 : n === 5 ? 2500 : 0);
  const starts: number[] = [];
  const call = new FixedIntervalLoopingCall(() => {
    starts.push(clock.now());
    if (starts.length === 10) throw new LoopingCallDone();
  }, { clock }).start({ interval: 10 });
  await fake.runAll();
  await call.wait();
  assert.deepEqual(starts, [0, 10, 45, 45, 45, 50, 2560, 2560, 2570, 2580]);
});

// Reference vector 3: stop() during a long sleep.
Deno.test("FixedIntervalLoopingCall.stop() wakes a sleeping loop at once", async () => {
  using clock = new FakeClock();
  let calls = 0;
  const call = new FixedIntervalLoopingCall(() => {
    calls++;
  }, { clock }).start({ interval: 10_000 });
  await clock.tickAsync(200);
  assert.equal(clock.pending, 1);
  call.stop();
  assert.equal(await call.wait(), true);
  assert.equal(clock.pending, 0);
  assert.equal(calls, 1);
  assert.equal(clock.now(), 200);
});

Deno.test("FixedIntervalLoopingCall.stop() wakes a real-clock sleep at once", async () => {
  const call = new FixedIntervalLoopingCall(() => {}).start({ interval: 60_000 });
  await waitFor(() => true, "a turn");
  const t0 = performance.now();
  call.stop();
  assert.equal(await call.wait(), true);
  assert.ok(performance.now() - t0 < 1000);
});

Deno.test("FixedIntervalLoopingCall.stop() never interrupts a running call", async () => {
  using clock = new FakeClock();
  let finished = false;
  const call = new FixedIntervalLoopingCall(async () => {
    await clock.sleep(300);
    finished = true;
  }, { clock }).start({ interval: 500 });
  await clock.tickAsync(100);
  call.stop();
  call.stop(); // idempotent
  let settled = false;
  const waiting = call.wait().then((v) => {
    settled = true;
    return v;
  });
  await clock.runMicrotasks();
  assert.equal(settled, false);
  await clock.tickAsync(200);
  assert.equal(await waiting, true);
  assert.equal(finished, true);
});

// Reference vector 4.
Deno.test("FixedIntervalLoopingCall.start() throws while the loop is running", async () => {
  using clock = new FakeClock();
  const call = new FixedIntervalLoopingCall(() => {}, { clock }).start({ interval: 100 });
  assert.throws(
    () => call.start({ interval: 100 }),
    {
      name: "InvalidStateError",
      message: "A fixed interval looping call can only run one function at a time",
    },
  );
  call.stop();
  await call.wait();
});

Deno.test("FixedIntervalLoopingCall.start() may be called again once the loop has ended", async () => {
  using clock = new FakeClock();
  let n = 0;
  const call = new FixedIntervalLoopingCall(() => {
    n++;
    throw new LoopingCallDone(n);
  }, { clock });
  assert.equal(await call.start({ interval: 100 }).wait(), 1);
  assert.equal(await call.start({ interval: 100 }).wait(), 2);
});

// Reference vector 5.
Deno.test("FixedIntervalLoopingCall.wait() resolves with the LoopingCallDone value", async () => {
  using clock = new FakeClock();
  const call = new FixedIntervalLoopingCall<number>(() => {
    throw new LoopingCallDone(42);
  }, { clock }).start({ interval: 100 });
  assert.equal(await call.wait(), 42);
  const bare = new FixedIntervalLoopingCall(() => {
    throw new LoopingCallDone();
  }, { clock }).start({ interval: 100 });
  assert.equal(await bare.wait(), true);
  assert.equal(new LoopingCallDone().retvalue, true);
});

Deno.test("FixedIntervalLoopingCall.wait() rejects with the function's error, which is logged", async () => {
  using log = captureLog();
  using clock = new FakeClock();
  const boom = new RangeError("boom");
  const call = new FixedIntervalLoopingCall(function failing(): never {
    throw boom;
  }, { clock }).start({ interval: 100 });
  await assert.rejects(call.wait(), (err) => err === boom);
  assert.deepEqual(log.messages("error"), ["Fixed interval looping call 'failing' failed"]);
  assert.equal(log.records.find((r) => r.level === "error")?.details[0], boom);
});

Deno.test("FixedIntervalLoopingCall.start({stopOnException: false}) logs errors and goes on", async () => {
  using log = captureLog();
  using clock = new FakeClock();
  let n = 0;
  const call = new FixedIntervalLoopingCall(() => {
    if (++n === 4) throw new LoopingCallDone("four");
    throw new Error(`fail ${n}`);
  }, { clock }).start({ interval: 100, stopOnException: false });
  await clock.runAll();
  assert.equal(await call.wait(), "four");
  assert.equal(log.messages("error").length, 3);
  assert.equal(clock.now(), 300);
});

Deno.test("FixedIntervalLoopingCall.start({initialDelay}) waits before the first call", async () => {
  using clock = new FakeClock();
  const starts: number[] = [];
  const call = new FixedIntervalLoopingCall(() => {
    starts.push(clock.now());
    if (starts.length === 3) throw new LoopingCallDone();
  }, { clock }).start({ interval: 100, initialDelay: 250 });
  await clock.runAll();
  await call.wait();
  assert.deepEqual(starts, [250, 350, 450]);
});

Deno.test("FixedIntervalLoopingCall.stop() during the initial delay ends the loop without a call", async () => {
  using clock = new FakeClock();
  let calls = 0;
  const call = new FixedIntervalLoopingCall(() => {
    calls++;
  }, { clock }).start({ interval: 100, initialDelay: 1000 });
  await clock.tickAsync(10);
  call.stop();
  assert.equal(await call.wait(), true);
  assert.equal(calls, 0);
});

Deno.test("FixedIntervalLoopingCall.wait() throws before start()", () => {
  const call = new FixedIntervalLoopingCall(() => {});
  assert.throws(() => call.wait(), { name: "InvalidStateError", message: /never started/ });
});

Deno.test("FixedIntervalLoopingCall rejects bad arguments at the call", () => {
  assert.throws(
    () => new FixedIntervalLoopingCall(42 as unknown as () => void),
    {
      name: "TypeError",
      message:
        "Cannot create FixedIntervalLoopingCall as 'fn' must be a function: current value is number 42",
    },
  );
  const call = new FixedIntervalLoopingCall(() => {});
  assert.throws(() => call.start({ interval: -1 }), {
    name: "RangeError",
    message:
      "Cannot start FixedIntervalLoopingCall as 'interval' must be a finite number >= 0: current value is number -1",
  });
  assert.throws(() => call.start({ interval: 10, initialDelay: NaN }), RangeError);
  assert.throws(() => call.start({ interval: "2" as unknown as number }), {
    name: "TypeError",
    message:
      "Cannot start FixedIntervalLoopingCall as 'interval' must be a finite number >= 0: current value is string 2",
  });
  assert.throws(
    () => call.start({ interval: 10, stopOnException: "no" as unknown as boolean }),
    TypeError,
  );
  assert.throws(
    () => call.start({ interval: 10, precise: "yes" as unknown as boolean }),
    TypeError,
  );
  assert.equal(call.running, false);
});

Deno.test("FixedIntervalLoopingCall.start({precise: true}) keeps the real-clock schedule", async () => {
  const starts: number[] = [];
  const call = new FixedIntervalLoopingCall(() => {
    starts.push(performance.now());
    if (starts.length === 5) throw new LoopingCallDone("done");
  }).start({ interval: 20, precise: true });
  assert.equal(await call.wait(), "done");
  // Generous bounds: a loaded CI machine may stall a tick, but none may start early.
  for (let k = 1; k < starts.length; k++) {
    const lateness = starts[k]! - (starts[0]! + 20 * k);
    assert.ok(lateness >= -0.05, `tick ${k} started ${-lateness} ms early`);
    assert.ok(lateness < 1000, `tick ${k} started ${lateness} ms late`);
  }
});

Deno.test("FixedIntervalLoopingCall[Symbol.asyncDispose]() stops and waits", async () => {
  using clock = new FakeClock();
  let calls = 0;
  {
    await using _call = new FixedIntervalLoopingCall(() => {
      calls++;
    }, { clock }).start({ interval: 100 });
    await clock.tickAsync(250);
  }
  assert.equal(calls, 3);
  assert.equal(clock.pending, 0);
});

Deno.test("FixedIntervalLoopingCall never starts a call early on the system clock", async () => {
  const starts: number[] = [];
  const before = await withTimerThreadHeld(FixedIntervalLoopingCall, async () => {
    const before = systemClock.now();
    const call = new FixedIntervalLoopingCall(() => {
      starts.push(systemClock.now());
      if (starts.length === 8) throw new LoopingCallDone();
    }).start({ interval: 15 });
    await call.wait();
    return before;
  });
  // The schedule is anchored on the loop's clock reading just before the first call, after
  // `before` (by microseconds: the timer thread is up).
  starts.forEach((t, k) =>
    assert.ok(t >= before + k * 15, `tick ${k} early by ${before + k * 15 - t} ms`)
  );
});

// Reference vector 6.
Deno.test("FixedIntervalWithTimeoutLoopingCall.wait() rejects with LoopingCallTimeOut after the timeout", async () => {
  using _log = captureLog();
  using clock = new FakeClock();
  const starts: number[] = [];
  const call = new FixedIntervalWithTimeoutLoopingCall(() => {
    starts.push(clock.now());
  }, { clock }).start({ interval: 200, timeout: 500 });
  await clock.runAll();
  await assert.rejects(call.wait(), {
    name: "LoopingCallTimeOut",
    message: "Looping call timed out after 600.00 ms",
  });
  assert.deepEqual(starts, [0, 200, 400, 600]);
});

Deno.test("FixedIntervalWithTimeoutLoopingCall counts the initial delay in the timeout", async () => {
  using _log = captureLog();
  using clock = new FakeClock();
  const starts: number[] = [];
  const call = new FixedIntervalWithTimeoutLoopingCall(() => {
    starts.push(clock.now());
  }, { clock }).start({ interval: 100, initialDelay: 300, timeout: 450 });
  await clock.runAll();
  await assert.rejects(call.wait(), LoopingCallTimeOut);
  assert.deepEqual(starts, [300, 400, 500]);
});

Deno.test("FixedIntervalWithTimeoutLoopingCall without timeout runs until stopped", async () => {
  using clock = new FakeClock();
  let calls = 0;
  const call = new FixedIntervalWithTimeoutLoopingCall(() => {
    calls++;
  }, { clock }).start({ interval: 100 });
  await clock.tickAsync(10_000);
  call.stop();
  assert.equal(await call.wait(), true);
  assert.equal(calls, 101);
  assert.throws(() => call.start({ interval: 1, timeout: -5 }), RangeError);
});

Deno.test("DynamicLoopingCall.start() sleeps what the function returns, end to start", async () => {
  using clock = new FakeClock();
  const starts: number[] = [];
  const call = new DynamicLoopingCall(async () => {
    starts.push(clock.now());
    await clock.sleep(50);
    if (starts.length === 4) throw new LoopingCallDone("ok");
    return 100;
  }, { clock }).start();
  await clock.runAll();
  assert.equal(await call.wait(), "ok");
  assert.deepEqual(starts, [0, 150, 300, 450]);
});

Deno.test("DynamicLoopingCall.start({periodicIntervalMax}) caps the delay and fills in undefined", async () => {
  using clock = new FakeClock();
  const starts: number[] = [];
  const results = [1000, undefined, 10];
  const call = new DynamicLoopingCall(() => {
    starts.push(clock.now());
    if (starts.length > results.length) throw new LoopingCallDone();
    return results[starts.length - 1];
  }, { clock }).start({ periodicIntervalMax: 300, initialDelay: 5 });
  await clock.runAll();
  await call.wait();
  assert.deepEqual(starts, [5, 305, 605, 615]);
});

Deno.test("DynamicLoopingCall.wait() rejects when the function returns undefined without periodicIntervalMax", async () => {
  using _log = captureLog();
  using clock = new FakeClock();
  const call = new DynamicLoopingCall(() => undefined, { clock }).start();
  await assert.rejects(call.wait(), {
    name: "TypeError",
    message:
      "A dynamic interval looping call should supply either an interval or periodicIntervalMax",
  });
  const bad = new DynamicLoopingCall(() => "soon" as unknown as number, { clock }).start();
  await assert.rejects(bad.wait(), TypeError);
});

// Reference vector 7: failures count as a delay of 0, a hot loop that still yields.
Deno.test("DynamicLoopingCall.start({stopOnException: false}) retries a failure at once without starving the isolate", async () => {
  using log = captureLog();
  let calls = 0;
  const call = new DynamicLoopingCall(() => {
    calls++;
    throw new Error("always");
  }).start({ stopOnException: false });
  let timerFired = false;
  setTimeout(() => timerFired = true, 1);
  await waitFor(() => timerFired && calls >= 100, "100 failing calls and a timer");
  call.stop();
  assert.equal(await call.wait(), true);
  assert.ok(log.messages("error").length >= 100);
});

Deno.test("DynamicLoopingCall.start() throws while running", async () => {
  using clock = new FakeClock();
  const call = new DynamicLoopingCall(() => 100, { clock }).start();
  assert.throws(() => call.start(), {
    name: "InvalidStateError",
    message: "A dynamic interval looping call can only run one function at a time",
  });
  call.stop();
  assert.equal(await call.wait(), true);
});

// Reference vector 8, with a constant random source (the jitter factor is exactly `jitter`).
Deno.test("BackOffLoopingCall backs off exponentially and times out before sleeping too long", async () => {
  using _log = captureLog();
  using clock = new FakeClock();
  const starts: number[] = [];
  const call = new BackOffLoopingCall(() => {
    starts.push(clock.now());
    return false;
  }, { clock, random: () => 0.5 }).start({
    startingInterval: 10,
    jitter: 1,
    maxInterval: 80,
    timeout: 200,
  });
  await clock.runAll();
  await assert.rejects(call.wait(), {
    name: "LoopingCallTimeOut",
    message: "Looping call timed out after 220.00 ms",
  });
  // Gaps 20, 40, 80; the next (capped) 80 would bring the streak to 220 > 200.
  assert.deepEqual(starts, [0, 20, 60, 140]);
});

Deno.test("BackOffLoopingCall resets the back-off after a success", async () => {
  using clock = new FakeClock();
  const outcomes = [false, false, true, false];
  const starts: number[] = [];
  const call = new BackOffLoopingCall(() => {
    starts.push(clock.now());
    const ok = outcomes[starts.length - 1];
    if (ok === undefined) throw new LoopingCallDone("done");
    return ok;
  }, { clock, random: () => 0.5 }).start({ startingInterval: 100, jitter: 0.75 });
  await clock.runAll();
  assert.equal(await call.wait(), "done");
  // fail: 100*2*0.75 = 150; fail: interval 150 -> 225; success: 100*0.75 = 75; fail: 150.
  assert.deepEqual(starts, [0, 150, 375, 450, 600]);
});

Deno.test("BackOffLoopingCall draws the jitter factor from a normal distribution around jitter", async () => {
  using clock = new FakeClock();
  const starts: number[] = [];
  const draws = [0.975, 0.025]; // ±1.96 standard deviations
  const call = new BackOffLoopingCall(() => {
    starts.push(clock.now());
    if (starts.length === 3) throw new LoopingCallDone();
    return true;
  }, { clock, random: () => draws.shift()! }).start({ startingInterval: 1000, jitter: 1 });
  await clock.runAll();
  await call.wait();
  assert.ok(Math.abs(starts[1]! - 1196) < 0.5, `first gap ${starts[1]}`);
  assert.ok(Math.abs(starts[2]! - starts[1]! - 804) < 0.5, `second gap ${starts[2]! - starts[1]!}`);
});

Deno.test("BackOffLoopingCall rejects bad arguments at the call", () => {
  assert.throws(
    () => new BackOffLoopingCall(() => true, { random: 3 as unknown as () => number }),
    TypeError,
  );
  const call = new BackOffLoopingCall(() => true);
  assert.throws(() => call.start({ startingInterval: 0 }), RangeError);
  assert.throws(() => call.start({ startingInterval: "2" as unknown as number }), {
    name: "TypeError",
    message: /'startingInterval' must be a finite number > 0: current value is string 2$/,
  });
  assert.throws(() => call.start({ jitter: -1 }), RangeError);
  assert.equal(call.running, false);
});

Deno.test("BackOffLoopingCall ends with a typed error when 'random' returns a bad value", async () => {
  // NaN on the system clock used to hang the isolate: every sleep was NaN and never yielded.
  using fake = new FakeClock();
  const cases: [unknown, typeof Error, Clock | undefined][] = [
    [NaN, RangeError, fake],
    [NaN, RangeError, undefined],
    [1, RangeError, undefined],
    [undefined, TypeError, undefined],
  ];
  for (const [value, type, clock] of cases) {
    const call = new BackOffLoopingCall(() => false, {
      ...(clock ? { clock } : {}),
      random: () => value as number,
    }).start({ startingInterval: 10 });
    await assert.rejects(call.wait(), (err) => {
      assert.ok(err instanceof type, String(err));
      assert.match((err as Error).message, /'random' must return a number in \[0, 1\)/);
      return true;
    });
    assert.equal(call.running, false);
  }
  // Any other NaN schedule: the system-clock sleep rejects, as FakeClock's does (a number out
  // of range: RangeError).
  await assert.rejects(
    sleepUntil(systemClock, NaN, new AbortController().signal, false),
    RangeError,
  );
});

Deno.test("LoopingCallTimeOut is a named Error", () => {
  const err = new LoopingCallTimeOut("late");
  assert.ok(err instanceof Error);
  assert.equal(err.name, "LoopingCallTimeOut");
  assert.equal(err.message, "late");
});

Deno.test("FixedIntervalLoopingCall.stop() from inside the function ends the loop after that call", async () => {
  using clock = new FakeClock();
  let calls = 0;
  const call: FixedIntervalLoopingCall = new FixedIntervalLoopingCall(() => {
    calls++;
    call.stop();
  }, { clock }).start({ interval: 100 });
  assert.equal(await call.wait(), true);
  assert.equal(calls, 1);
  assert.equal(clock.pending, 0);
});

Deno.test("FixedIntervalLoopingCall calls the function without a `this`", async () => {
  using clock = new FakeClock();
  let self: unknown = "unset";
  const call = new FixedIntervalLoopingCall(function (this: unknown): never {
    self = this;
    throw new LoopingCallDone();
  }, { clock }).start({ interval: 100 });
  await call.wait();
  assert.equal(self, undefined);
});

Deno.test("FixedIntervalLoopingCall.start() may be called again after the loop failed", async () => {
  using _log = captureLog();
  using clock = new FakeClock();
  let n = 0;
  const call = new FixedIntervalLoopingCall(() => {
    if (++n === 1) throw new RangeError("first run fails");
    throw new LoopingCallDone(n);
  }, { clock });
  await assert.rejects(call.start({ interval: 100 }).wait(), RangeError);
  assert.equal(call.running, false);
  assert.equal(await call.start({ interval: 100 }).wait(), 2);
});

Deno.test("FixedIntervalLoopingCall.stop() right after start() ends the loop before any call", async () => {
  using clock = new FakeClock();
  let calls = 0;
  const call = new FixedIntervalLoopingCall(() => {
    calls++;
  }, { clock }).start({ interval: 100 });
  call.stop();
  const first = call.wait();
  assert.equal(call.wait(), first); // settles once: every wait() is the same promise
  assert.equal(await first, true);
  assert.equal(calls, 0);
  assert.equal(call.running, false);
  assert.equal(clock.pending, 0);
});

Deno.test("FixedIntervalLoopingCall on the system clock starts calls on time, never early, blocking the isolate briefly", async () => {
  const interval = 10;
  const ticks = 60;
  const stamps: number[] = [];
  // Another task of the isolate: it must keep running while the loop waits.
  let turns = 0;
  const other = setInterval(() => turns++, 1);
  const blocked0 = blockedMs();
  // The loop's own start time lies between this reading and the first call's first line; a
  // call k is early if it starts before `started + k * interval` (a preempted first call must
  // not make the later ones look early). With the timer thread already up, that start time is
  // microseconds after this reading, not the ~10 ms of creating the thread.
  const started = await withTimerThreadHeld(FixedIntervalLoopingCall, async () => {
    const started = performance.now();
    const call = new FixedIntervalLoopingCall(() => {
      stamps.push(performance.now());
      if (stamps.length === ticks) throw new LoopingCallDone("done");
    }).start({ interval });
    assert.equal(await call.wait(), "done");
    return started;
  });
  clearInterval(other);
  const perTick = (blockedMs() - blocked0) / (ticks - 1);
  const early = stamps.slice(1).map((t, k) => t - (started + (k + 1) * interval));
  assert.ok(Math.min(...early) >= 0, `early by ${-Math.min(...early)} ms`);
  const late = stamps.slice(1).map((t, k) => t - (stamps[0]! + (k + 1) * interval));
  // Generous for a loaded machine; on a quiet one this is ~0.01 ms.
  assert.ok(perTick < 0.5, `blocked ${perTick} ms per tick`);
  assert.ok(turns > ticks, `other tasks ran ${turns} times`);
  // No drift: the last call is not later than any bound the load could explain.
  assert.ok(late.at(-1)! < 200, `last call ${late.at(-1)} ms late`);
});

Deno.test("FixedIntervalLoopingCall loops on the system clock let the program end once they have, and set no timer", async () => {
  const fixture = new URL("./_fixtures/on_time_loops.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", fixture],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  // A timer thread left running would keep the program alive: it would never exit by itself.
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const { code, stdout } = await child.output();
  clearTimeout(timer);
  assert.equal(code, 0);
  const { minLateness, maxLateness, timers } = JSON.parse(new TextDecoder().decode(stdout));
  assert.ok(minLateness >= 0, `early by ${-minLateness} ms`);
  assert.ok(maxLateness < 1000, `a call ${maxLateness} ms late`);
  // Not even while the timer thread starts: that first timer made the first call 6-8 ms late.
  assert.equal(timers, 0);
});

// The first sleep starts before the timer thread runs (~15-30 ms), a wait of the loop's own; the
// second one is on the thread.
for (
  const c of [
    { sleep: "taken while the timer thread starts", after: 100, calls: 1 },
    { sleep: "on the timer thread", after: 2300, calls: 2 },
  ]
) {
  Deno.test(`FixedIntervalLoopingCall.stop() on the system clock ends a sleep ${c.sleep} at once`, async () => {
    let calls = 0;
    const call = new FixedIntervalLoopingCall(() => {
      calls++;
    }).start({ interval: 2000 });
    await new Promise((resolve) => setTimeout(resolve, c.after));
    const t0 = performance.now();
    call.stop();
    assert.equal(await call.wait(), true);
    assert.ok(performance.now() - t0 < 1000, `stop took ${performance.now() - t0} ms`);
    assert.equal(calls, c.calls);
  });
}

Deno.test("looping calls' start() describes a non-boolean flag as the launchers do, null included", () => {
  using clock = new FakeClock();
  const fixed = new FixedIntervalLoopingCall(() => {}, { clock });
  const dynamic = new DynamicLoopingCall(() => 1, { clock });
  const cases: [() => unknown, string, string][] = [
    [
      () => fixed.start({ interval: 10, stopOnException: "no" as unknown as boolean }),
      "start FixedIntervalLoopingCall",
      "'stopOnException' must be a boolean: current value is string no",
    ],
    [
      () => fixed.start({ interval: 10, precise: null as unknown as boolean }),
      "start FixedIntervalLoopingCall",
      "'precise' must be a boolean: current value is null",
    ],
    [
      () => dynamic.start({ stopOnException: 0 as unknown as boolean }),
      "start DynamicLoopingCall",
      "'stopOnException' must be a boolean: current value is number 0",
    ],
  ];
  for (const [call, what, must] of cases) {
    assert.throws(call, { name: "TypeError", message: `Cannot ${what} as ${must}` });
  }
  assert.equal(fixed.running || dynamic.running, false);
});

// The loop's Worker (its timer thread) blocks the isolate while it is constructed: 200 ms here.
Deno.test("FixedIntervalLoopingCall's initialDelay counts from start(), its timer thread's start included", async () => {
  const fixture = new URL("./_fixtures/slow_worker_start.ts", import.meta.url).pathname;
  const { code, stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", fixture, "300"],
    stderr: "inherit",
  }).output();
  assert.equal(code, 0);
  const { events, firstCall } = JSON.parse(new TextDecoder().decode(stdout));
  // Due 300 ms after start(), 100 ms after the 200 ms construction (before, it was due 300 ms
  // after the construction: at 500 ms).
  assert.deepEqual(events, ["worker", "call"]);
  assert.ok(firstCall >= 300 && firstCall < 450, `first call at ${firstCall}`);
});
