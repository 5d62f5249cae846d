// The backend-neutral behaviour every backend must show: looping calls, retry and ThreadGroup
// (function threads, a TaskRef thread, stopping), all read through getComponent() so that each
// backend's registered components are what is tested. Each conformance_<type>_test.ts calls
// defineConformanceTests(type) once.

import assert from "node:assert/strict";
import {
  type BackendType,
  type Components,
  FakeClock,
  getBackend,
  getComponent,
  initBackend,
  resetBackend,
} from "../../backends/mod.ts";
import { captureLog, waitFor, withTimerThreadHeld } from "../_util.ts";

const TASKS = new URL("../service/_fixtures/thread_tasks.ts", import.meta.url);

export function defineConformanceTests(type: BackendType): void {
  const test = (name: string, fn: () => Promise<void> | void): void => {
    Deno.test(`[${type}] ${name}`, async () => {
      resetBackend();
      initBackend(type);
      try {
        await fn();
      } finally {
        resetBackend();
      }
    });
  };

  // registry_test.ts checks the names against API.md; here each must be a usable class/function.
  test("every component the backend registers is a class or function getComponent() returns", () => {
    const names = Object.keys(getBackend().components) as (keyof Components)[];
    assert.ok(names.length > 0);
    for (const name of names) {
      assert.equal(typeof getComponent(name), "function", name);
      assert.equal(getComponent(name), getBackend().components[name], name);
    }
    assert.equal(getBackend().type, type);
  });

  test("FixedIntervalLoopingCall keeps start-to-start timing and its overrun rule", async () => {
    using _log = captureLog();
    using clock = new FakeClock();
    const Fixed = getComponent("FixedIntervalLoopingCall");
    const Done = getComponent("LoopingCallDone");
    const durations = [300, 700, 100];
    const starts: number[] = [];
    const call = new Fixed(async () => {
      starts.push(clock.now());
      const d = durations[starts.length - 1];
      if (d === undefined) throw new Done("finished");
      await clock.sleep(d);
    }, { clock }).start({ interval: 500 });
    await clock.runAll();
    assert.equal(await call.wait(), "finished");
    assert.deepEqual(starts, [0, 500, 1200, 1700]);
  });

  test("FixedIntervalLoopingCall on the system clock is on time and stops at once", async () => {
    const Fixed = getComponent("FixedIntervalLoopingCall");
    const starts: number[] = [];
    const before = await withTimerThreadHeld(Fixed, async () => {
      const before = performance.now();
      const call = new Fixed(() => {
        starts.push(performance.now());
      }).start({ interval: 20 });
      await waitFor(() => starts.length >= 5, "five ticks");
      call.stop();
      assert.equal(await call.wait(), true);
      return before;
    });
    // Call k is due 20k ms after the loop's anchor, which comes after `before`.
    starts.forEach((t, k) => assert.ok(t >= before + k * 20, `tick ${k} early`));
  });

  test("DynamicLoopingCall, BackOffLoopingCall and the timeout variant follow oslo", async () => {
    using _log = captureLog();
    using clock = new FakeClock();
    const Dynamic = getComponent("DynamicLoopingCall");
    const BackOff = getComponent("BackOffLoopingCall");
    const WithTimeout = getComponent("FixedIntervalWithTimeoutLoopingCall");
    const TimeOut = getComponent("LoopingCallTimeOut");
    const dynamicStarts: number[] = [];
    const dynamic = new Dynamic(() => {
      dynamicStarts.push(clock.now());
      return dynamicStarts.length < 3 ? 250 : undefined;
    }, { clock }).start();
    const backoffStarts: number[] = [];
    const backoff = new BackOff(() => {
      backoffStarts.push(clock.now());
      return false;
    }, { clock, random: () => 0.5 }).start({
      startingInterval: 10,
      jitter: 1,
      maxInterval: 80,
      timeout: 200,
    });
    const timed = new WithTimeout(() => {}, { clock }).start({ interval: 200, timeout: 500 });
    await clock.runAll();
    await assert.rejects(dynamic.wait(), /periodicIntervalMax/);
    await assert.rejects(backoff.wait(), TimeOut);
    await assert.rejects(timed.wait(), TimeOut);
    assert.deepEqual(dynamicStarts, [0, 250, 500]);
    assert.deepEqual(backoffStarts, [0, 20, 60, 140]);
  });

  test("RetryDecorator retries per invocation", async () => {
    using _log = captureLog();
    using clock = new FakeClock();
    const Retry = getComponent("RetryDecorator");
    let calls = 0;
    const wrapped = new Retry({
      maxRetryCount: 1,
      incSleepTime: 100,
      exceptions: [RangeError],
      clock,
    }).wrap(() => {
      if (++calls % 2 === 1) throw new RangeError("odd");
      return calls;
    });
    for (const expected of [2, 4]) {
      const result = wrapped();
      await clock.runAll();
      assert.equal(await result, expected);
    }
  });

  test("ThreadGroup runs function threads here and TaskRef threads per the backend", async () => {
    using _log = captureLog();
    const Group = getComponent("ThreadGroup");
    const tg = new Group({ maxThreads: 3 });
    const inIsolate = tg.addThread((x: number, ctx: { signal: AbortSignal }) => {
      assert.ok(ctx.signal instanceof AbortSignal);
      return { x, worker: "WorkerGlobalScope" in globalThis };
    }, 7);
    assert.deepEqual(await inIsolate.wait(), { x: 7, worker: false });
    const where = await tg.addThread({ module: TASKS, export: "whereAmI" }).wait();
    assert.deepEqual(where, {
      worker: getBackend().taskIsolation === "worker",
      backend: type,
      gotSignal: true,
    });
    assert.equal(await tg.addThread({ module: TASKS, export: "add" }, 20, 22).wait(), 42);
    await assert.rejects(tg.addThread({ module: TASKS, export: "fail" }, "no").wait(), {
      name: "QuotaError",
      code: 429,
    });
  });

  test("ThreadGroup.stop() really stops function and TaskRef threads", async () => {
    const Group = getComponent("ThreadGroup");
    const tg = new Group({ maxThreads: 2 });
    const a = tg.addThread({ module: TASKS, export: "untilStopped" });
    const b = tg.addThread((ctx: { signal: AbortSignal }) =>
      new Promise((_r, reject) =>
        ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason))
      )
    );
    assert.throws(() => tg.addThread(() => 1), RangeError);
    // Let the TaskRef thread get going before stopping it.
    await new Promise((r) => setTimeout(r, 50));
    await tg.stop();
    assert.equal(tg.threads.length, 0);
    await assert.rejects(a.wait(), { name: "AbortError" });
    await assert.rejects(b.wait(), { name: "AbortError" });
  });

  test("ThreadGroup timers stop with the group", async () => {
    using clock = new FakeClock();
    const Group = getComponent("ThreadGroup");
    const tg = new Group({ clock });
    let ticks = 0;
    tg.addTimer(100, () => {
      ticks++;
    });
    tg.addDynamicTimer(() => 50);
    await clock.tickAsync(250);
    await tg.stop({ graceful: true });
    assert.equal(ticks, 3);
    assert.equal(clock.pending, 0);
  });
}
