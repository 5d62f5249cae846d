import assert from "node:assert/strict";
import {
  DynamicLoopingCall,
  FakeClock,
  FixedIntervalLoopingCall,
  initBackend,
  LoopingCallDone,
  PeriodicTasks,
  resetBackend,
  Service,
  Services,
  TaskNotFoundError,
  Thread,
  ThreadGroup,
} from "../../backends/mod.ts";
import { captureLog, waitFor } from "../_util.ts";

const TASKS = new URL("./_fixtures/thread_tasks.ts", import.meta.url);

function useBackend(type: "threading" | "cooperative"): void {
  resetBackend();
  initBackend(type);
}

/** A controllable in-isolate task: resolves when `release()` is called. */
function gate<T = void>(): { promise: Promise<T>; release: (v: T) => void } {
  let release!: (v: T) => void;
  const promise = new Promise<T>((r) => release = r);
  return { promise, release };
}

Deno.test("ThreadGroup.addThread() calls fn(...args, { signal }) and resolves the thread with its result", async () => {
  useBackend("cooperative");
  const tg = new ThreadGroup();
  let seen: unknown[] = [];
  const thread = tg.addThread(
    (a: number, b: string, ctx: { signal: AbortSignal }) => {
      seen = [a, b, ctx.signal];
      return `${a}${b}`;
    },
    1,
    "x",
  );
  assert.equal(await thread.wait(), "1x");
  assert.equal(seen[0], 1);
  assert.equal(seen[1], "x");
  assert.equal(seen[2], thread.signal);
  assert.equal(thread.signal.aborted, false);
});

Deno.test("ThreadGroup.threads drops a thread when it finishes", async () => {
  useBackend("cooperative");
  const tg = new ThreadGroup();
  const g = gate();
  const a = tg.addThread(() => g.promise);
  const b = tg.addThread(() => 1);
  assert.deepEqual(tg.threads, [a, b]);
  await b.wait();
  await waitFor(() => tg.threads.length === 1, "b to leave");
  assert.deepEqual(tg.threads, [a]);
  g.release();
  await a.wait();
  await waitFor(() => tg.threads.length === 0, "a to leave");
  assert.notEqual(a.ident, b.ident);
});

// Reference vector 10, with fjord's RangeError.
Deno.test("ThreadGroup.addThread() throws RangeError beyond maxThreads", async () => {
  useBackend("cooperative");
  const tg = new ThreadGroup({ maxThreads: 2 });
  assert.equal(tg.maxThreads, 2);
  const g = gate();
  tg.addThread(() => g.promise);
  tg.addThread(() => g.promise);
  assert.throws(() => tg.addThread(() => 3), {
    name: "RangeError",
    message: "Cannot add thread as the group already runs 'maxThreads' threads: current value is 2",
  });
  g.release();
  await tg.wait();
  await waitFor(() => tg.threads.length === 0, "threads to finish");
  assert.equal(await tg.addThread(() => 3).wait(), 3);
});

Deno.test("ThreadGroup.stop() aborts every thread's signal and drops them at once", async () => {
  using log = captureLog();
  useBackend("cooperative");
  const tg = new ThreadGroup();
  const reasons: unknown[] = [];
  const waiter = (ctx: { signal: AbortSignal }) =>
    new Promise<void>((_resolve, reject) => {
      ctx.signal.addEventListener("abort", () => {
        reasons.push(ctx.signal.reason);
        reject(ctx.signal.reason);
      });
    });
  const threads = [tg.addThread(waiter), tg.addThread(waiter)];
  await Promise.resolve(); // the threads' bodies start (a thread stopped before never runs)
  await tg.stop();
  assert.equal(tg.threads.length, 0);
  for (const t of threads) {
    assert.equal(t.signal.aborted, true);
    await assert.rejects(t.wait(), { name: "AbortError" });
  }
  assert.equal(reasons.length, 2);
  // A thread that ended because it was stopped is not an error.
  assert.deepEqual(log.messages("error"), []);
});

Deno.test("ThreadGroup.stop({graceful: true}) waits for threads and timers, logging their errors", async () => {
  using log = captureLog();
  useBackend("cooperative");
  using clock = new FakeClock();
  const tg = new ThreadGroup({ clock });
  const g = gate();
  let finished = false;
  const slow = tg.addThread(async (ctx: { signal: AbortSignal }) => {
    await g.promise;
    finished = !ctx.signal.aborted;
  });
  const failing = tg.addThread(async () => {
    await g.promise;
    throw new Error("late failure");
  });
  tg.addTimer(100, () => {});
  let stopped = false;
  const stopping = tg.stop({ graceful: true }).then(() => stopped = true);
  await clock.runMicrotasks();
  assert.equal(stopped, false);
  assert.equal(tg.timers.length, 0);
  g.release();
  await stopping;
  assert.equal(finished, true);
  assert.equal(slow.signal.aborted, false);
  // Logged once, where the thread was added: the stop logged it a second time, as oslo's
  // "Error waiting on thread.".
  assert.deepEqual(log.messages("error"), [`Thread ${failing.ident} failed`]);
});

Deno.test("ThreadGroup.addThread() logs a failed thread and rejects its wait()", async () => {
  using log = captureLog();
  useBackend("cooperative");
  const tg = new ThreadGroup();
  const boom = new Error("boom");
  const thread = tg.addThread(() => {
    throw boom;
  });
  await assert.rejects(thread.wait(), (err) => err === boom);
  await waitFor(() => log.messages("error").length === 1, "the error log");
  assert.deepEqual(log.messages("error"), [`Thread ${thread.ident} failed`]);
});

Deno.test("ThreadGroup.stop() mutes a stopped thread's abort, but still logs it failing some other way", async () => {
  using log = captureLog();
  useBackend("cooperative");
  const tg = new ThreadGroup();
  const { promise: stopped, resolve } = Promise.withResolvers<void>();
  const aborts = tg.addThread(async (o: { signal: AbortSignal }) => {
    await stopped;
    o.signal.throwIfAborted();
  });
  const fails = tg.addThread(async () => {
    await stopped;
    throw new Error("cleanup failed");
  });
  await Promise.resolve(); // the threads' bodies start (a thread stopped before never runs)
  await tg.stop();
  resolve();
  await Promise.allSettled([aborts.wait(), fails.wait()]);
  // Before, both were muted once the stop had aborted their signals.
  await waitFor(() => log.messages("error").length === 1, "the error log");
  assert.deepEqual(log.messages("error"), [`Thread ${fails.ident} failed`]);
});

Deno.test("ThreadGroup.addTimer() and addDynamicTimer() start timers kept until stopTimers()", async () => {
  useBackend("cooperative");
  using clock = new FakeClock();
  const tg = new ThreadGroup({ clock });
  const fixed: number[] = [];
  const dynamic: number[] = [];
  const t1 = tg.addTimer(100, () => {
    fixed.push(clock.now());
  }, { initialDelay: 50 });
  const t2 = tg.addDynamicTimer(() => {
    dynamic.push(clock.now());
    return 300;
  }, { periodicIntervalMax: 1000 });
  assert.ok(t1 instanceof FixedIntervalLoopingCall);
  assert.ok(t2 instanceof DynamicLoopingCall);
  assert.deepEqual(tg.timers, [t1, t2]);
  await clock.tickAsync(400);
  await tg.stopTimers({ wait: true });
  assert.deepEqual(tg.timers, []);
  assert.equal(t1.running, false);
  assert.equal(t2.running, false);
  assert.deepEqual(fixed, [50, 150, 250, 350]);
  assert.deepEqual(dynamic, [0, 300]);
});

Deno.test("ThreadGroup.addTimer(): an 'interval' option is refused (the interval is the first argument), and none overrides it", async () => {
  useBackend("cooperative");
  using clock = new FakeClock();
  const tg = new ThreadGroup({ clock });
  try {
    // From JavaScript (or past the type): options.interval silently replaced the argument.
    const calls: number[] = [];
    assert.throws(
      () =>
        tg.addTimer(1000, () => {
          calls.push(clock.now());
        }, { interval: 10 } as never),
      {
        name: "TypeError",
        message:
          "Cannot add timer as 'interval' is not an option of addTimer() (the interval is its first argument): current value is number 10",
      },
    );
    assert.deepEqual(tg.timers, []);
    await clock.tickAsync(50);
    assert.equal(calls.length, 0, "the refused timer ran");
    // An undefined 'interval' (a spread of partial options) is no option at all.
    const timer = tg.addTimer(100, () => {
      calls.push(clock.now());
    }, { interval: undefined, initialDelay: 50 } as never);
    await clock.tickAsync(300);
    await tg.stopTimers({ wait: true });
    assert.equal(timer.running, false);
    assert.deepEqual(calls, [100, 200, 300]);
  } finally {
    await tg.stop();
  }
});

Deno.test("ThreadGroup.stopTimers({wait: true}) logs a timer's error", async () => {
  using log = captureLog();
  useBackend("cooperative");
  using clock = new FakeClock();
  const tg = new ThreadGroup({ clock });
  tg.addTimer(100, () => {
    throw new Error("tick failed");
  });
  await clock.runMicrotasks();
  await tg.stopTimers({ wait: true });
  assert.ok(log.messages("error").includes("Error waiting on timer."));
});

Deno.test("ThreadGroup.wait() waits for threads, then timers, and rejects with a timer's error", async () => {
  using _log = captureLog();
  useBackend("cooperative");
  using clock = new FakeClock();
  const tg = new ThreadGroup({ clock });
  let n = 0;
  tg.addTimer(100, () => {
    if (++n === 3) throw new LoopingCallDone();
  });
  const g = gate<number>();
  const thread = tg.addThread(() => g.promise);
  let done = false;
  const waiting = tg.wait().then(() => done = true);
  g.release(5);
  assert.equal(await thread.wait(), 5);
  await clock.tickAsync(100);
  assert.equal(done, false);
  await clock.tickAsync(100);
  await waiting;
  assert.equal(n, 3);

  const failing = new ThreadGroup({ clock });
  failing.addTimer(100, () => {
    throw new RangeError("timer broke");
  });
  await assert.rejects(failing.wait(), RangeError);
});

Deno.test("ThreadGroup[Symbol.asyncDispose]() stops and waits for its threads to settle", async () => {
  useBackend("cooperative");
  using clock = new FakeClock();
  let cleanedUp = false;
  {
    await using tg = new ThreadGroup({ clock });
    tg.addThread(async (ctx: { signal: AbortSignal }) => {
      await clock.sleep(60_000, { signal: ctx.signal }).catch(() => {});
      cleanedUp = true;
    });
    tg.addTimer(1000, () => {});
    await clock.runMicrotasks();
  }
  assert.equal(cleanedUp, true);
  assert.equal(clock.pending, 0);
});

Deno.test("ThreadGroup.addThread(taskRef) runs in this isolate on the cooperative backend", async () => {
  using _log = captureLog();
  useBackend("cooperative");
  const tg = new ThreadGroup();
  const where = await tg.addThread({ module: TASKS, export: "whereAmI" }).wait();
  assert.deepEqual(where, { worker: false, backend: "cooperative", gotSignal: true });
  await assert.rejects(
    tg.addThread({ module: TASKS, export: "notAFunction" }).wait(),
    TaskNotFoundError,
  );
});

Deno.test("ThreadGroup.addThread(taskRef) runs in a Web Worker on the threading backend", async () => {
  useBackend("threading");
  const tg = new ThreadGroup();
  const where = await tg.addThread({ module: TASKS, export: "whereAmI" }).wait();
  assert.deepEqual(where, { worker: true, backend: "threading", gotSignal: true });
  assert.equal(await tg.addThread({ module: TASKS.href, export: "add" }, 2, 3).wait(), 5);
  resetBackend();
});

Deno.test("ThreadGroup.addThread(taskRef) brings a Worker's error back with its name and fields", async () => {
  using _log = captureLog();
  useBackend("threading");
  const tg = new ThreadGroup();
  await assert.rejects(tg.addThread({ module: TASKS, export: "fail" }, "over quota").wait(), {
    name: "QuotaError",
    message: "over quota",
    code: 429,
  });
  await assert.rejects(
    tg.addThread({ module: TASKS, export: "returnsFunction" }).wait(),
    { name: "TypeError", message: /not structured-cloneable/ },
  );
  await assert.rejects(
    tg.addThread({ module: TASKS, export: "missing" }).wait(),
    { name: "TaskNotFoundError" },
  );
  resetBackend();
});

Deno.test("ThreadGroup.stop() terminates Worker threads", async () => {
  useBackend("threading");
  const tg = new ThreadGroup();
  const thread = tg.addThread({ module: TASKS, export: "untilStopped" });
  assert.equal(tg.threads.length, 1);
  await tg.stop();
  assert.equal(tg.threads.length, 0);
  await assert.rejects(thread.wait(), { name: "AbortError" });
  resetBackend();
});

Deno.test("ThreadGroup.stop() really ends a running Worker thread", async () => {
  useBackend("threading");
  const tg = new ThreadGroup();
  const beats = new Int32Array(new SharedArrayBuffer(4));
  const thread = tg.addThread({ module: TASKS, export: "heartbeat" }, beats);
  await waitFor(() => Atomics.load(beats, 0) > 2, "the Worker thread to beat");
  await tg.stop();
  await assert.rejects(thread.wait(), { name: "AbortError" });
  // A live Worker beats every 5 ms; a terminated one never again. A beat already under way
  // when terminate() was called may still land, hence the first pause.
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  await pause(100);
  const after = Atomics.load(beats, 0);
  await pause(300);
  assert.equal(Atomics.load(beats, 0), after, "the Worker kept running after stop()");
  resetBackend();
});

Deno.test("ThreadGroup.addThread() rejects bad tasks and uncloneable Worker arguments at the call", () => {
  useBackend("threading");
  const tg = new ThreadGroup();
  assert.throws(
    () => tg.addThread({ module: TASKS, export: "add" }, () => 1),
    { name: "TypeError", message: /structured-cloneable/ },
  );
  assert.throws(() => tg.addThread({ module: "./relative.ts", export: "x" }), TypeError);
  assert.throws(() => tg.addThread(42 as unknown as () => void), {
    name: "TypeError",
    message:
      "Cannot add thread as 'fn' must be a function or a TaskRef: current value is number 42",
  });
  assert.equal(tg.threads.length, 0);
  assert.throws(() => new ThreadGroup({ maxThreads: 0 }), RangeError);
  resetBackend();
});

Deno.test("Thread.stop() aborts its signal once; wait() follows the body", async () => {
  const started = gate();
  const thread = new Thread((signal) =>
    new Promise<string>((resolve) => {
      signal.addEventListener("abort", () => resolve("stopped"));
      started.release();
    })
  );
  await started.promise;
  thread.stop();
  thread.stop();
  assert.equal(thread.signal.aborted, true);
  assert.equal(await thread.wait(), "stopped");
  assert.throws(() => new Thread(undefined as unknown as () => void), TypeError);
});

Deno.test("Thread.stop() before the body began means it never runs", async () => {
  let ran = false;
  const thread = new Thread(() => {
    ran = true;
  });
  thread.stop();
  await assert.rejects(thread.wait(), { name: "AbortError" });
  assert.equal(ran, false);
});

Deno.test("ThreadGroup frees a thread's slot when it fails or is stopped", async () => {
  useBackend("cooperative");
  using _log = captureLog();
  const tg = new ThreadGroup({ maxThreads: 1 });
  await assert.rejects(tg.addThread(() => Promise.reject(new Error("boom"))).wait(), Error);
  await waitFor(() => tg.threads.length === 0, "the failed thread to leave");
  const blocked = tg.addThread(({ signal }: { signal: AbortSignal }) =>
    new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)))
  );
  await tg.stop();
  await assert.rejects(blocked.wait(), { name: "AbortError" });
  assert.equal(await tg.addThread(() => 7).wait(), 7);
});

Deno.test("ThreadGroup accepts timers again after stop(), as oslo does", async () => {
  using clock = new FakeClock();
  const tg = new ThreadGroup({ clock });
  tg.addTimer(100, () => {});
  await tg.stop();
  assert.equal(tg.timers.length, 0);
  let ticks = 0;
  const timer = tg.addTimer(100, () => {
    ticks++;
  });
  await clock.tickAsync(100);
  assert.equal(ticks, 2);
  assert.deepEqual(tg.timers, [timer]);
  await tg.stopTimers({ wait: true });
  assert.equal(timer.running, false);
  assert.equal(clock.pending, 0);
});

Deno.test("ThreadGroup.stop() and stopTimers() reject a flag that is not a boolean instead of reading it as truthy", async () => {
  useBackend("cooperative");
  const tg = new ThreadGroup();
  const thread = tg.addThread((o: { signal: AbortSignal }) =>
    new Promise<void>((resolve) => o.signal.addEventListener("abort", () => resolve()))
  );
  // "no" used to count as graceful: the stop then waited for a thread that never ends.
  assert.throws(() => tg.stop({ graceful: "no" as unknown as boolean }), {
    name: "TypeError",
    message: "Cannot stop ThreadGroup as 'graceful' must be a boolean: current value is string no",
  });
  assert.throws(() => tg.stopTimers({ wait: "false" as unknown as boolean }), {
    name: "TypeError",
    message: "Cannot stop timers as 'wait' must be a boolean: current value is string false",
  });
  assert.throws(() => tg.stop(null as unknown as undefined), {
    name: "TypeError",
    message: "Cannot stop ThreadGroup as 'options' must be an object: current value is null",
  });
  assert.equal(tg.threads.length, 1);
  await tg.stop();
  await thread.wait().catch(() => {});
  assert.equal(tg.threads.length, 0);
});

Deno.test("ThreadGroup, Service, Services and PeriodicTasks reject options that are not an object", () => {
  useBackend("cooperative");
  class Tasks extends PeriodicTasks {}
  // 5 used to be read as "no options"; null failed reading a property of it.
  const calls: [string, (o: never) => unknown][] = [
    ["create ThreadGroup", (o) => new ThreadGroup(o)],
    ["create Service", (o) => new Service(o)],
    ["create Services", (o) => new Services(o)],
    ["create PeriodicTasks", (o) => new Tasks(undefined, o)],
    ["add timer", (o) => new ThreadGroup().addTimer(10, () => {}, o)],
    ["add timer", (o) => new ThreadGroup().addDynamicTimer(() => 10, o)],
  ];
  for (const [what, call] of calls) {
    for (const [value, shown] of [[5, "number 5"], [null, "null"]] as const) {
      assert.throws(() => call(value as never), {
        name: "TypeError",
        message: `Cannot ${what} as 'options' must be an object: current value is ${shown}`,
      });
    }
  }
});

Deno.test("ThreadGroup: 'maxThreads' given as a string is a TypeError naming it a string", () => {
  assert.throws(() => new ThreadGroup({ maxThreads: "5" as unknown as number }), {
    name: "TypeError",
    message:
      "Cannot create ThreadGroup as 'maxThreads' must be an integer >= 1: current value is string 5",
  });
});

Deno.test("ThreadGroup: 'maxThreads' as a number out of range (NaN, -1, 1.5) stays a RangeError", () => {
  for (const value of [Number.NaN, -1, 1.5]) {
    assert.throws(() => new ThreadGroup({ maxThreads: value }), {
      name: "RangeError",
      message:
        `Cannot create ThreadGroup as 'maxThreads' must be an integer >= 1: current value is number ${value}`,
    });
  }
});

Deno.test("ThreadGroup.stop() without grace acts before it returns: a thread added next runs", async () => {
  // It stopped the timers and threads a microtask later, so a thread added right after the
  // call (void tg.stop(); tg.addThread(f)) was aborted by it.
  for (const backend of ["cooperative", "threading"] as const) {
    useBackend(backend);
    const tg = new ThreadGroup();
    const old = tg.addThread((o: { signal: AbortSignal }) =>
      new Promise<void>((resolve) => o.signal.addEventListener("abort", () => resolve()))
    );
    tg.addTimer(1000, () => {});
    const stopping = tg.stop();
    assert.equal(tg.threads.length, 0, backend);
    assert.equal(tg.timers.length, 0, backend);
    assert.ok(old.signal.aborted, backend);
    const fresh = tg.addThread(() => "ran");
    await stopping;
    assert.equal(await fresh.wait(), "ran", backend);
    await assert.rejects(old.wait(), { name: "AbortError" });
  }
});

Deno.test("a Thread is async-disposable: it is stopped and waited for, its outcome not thrown", async () => {
  let ended = false;
  {
    await using _thread = new Thread((signal) =>
      new Promise<never>((_, reject) =>
        signal.addEventListener("abort", () => {
          ended = true;
          reject(signal.reason);
        })
      )
    );
    await Promise.resolve(); // its body starts
  }
  assert.ok(ended);
});
