import assert from "node:assert/strict";
import { FakeClock, periodicTask, PeriodicTasks, ThreadGroup } from "../../backends/mod.ts";
import { Config } from "../../config/mod.ts";
import { captureLog } from "../_util.ts";

// Reference vector 11.
class M extends PeriodicTasks {
  ran: string[] = [];

  @periodicTask()
  a(): void {
    this.ran.push("a");
  }

  @periodicTask({ spacing: 500, runImmediately: true })
  b(): void {
    this.ran.push("b");
  }

  @periodicTask({ spacing: -1 })
  c(): void {
    this.ran.push("c");
  }

  @periodicTask({ enabled: false })
  d(): void {
    this.ran.push("d");
  }

  @periodicTask({ spacing: 2000, externalProcessOk: true, runImmediately: true })
  e(): void {
    this.ran.push("e");
    throw new Error("e failed");
  }
}

Deno.test("PeriodicTasks.runPeriodicTasks() runs due tasks, skips negative/disabled ones and returns ms until the next", async () => {
  using log = captureLog();
  using clock = new FakeClock();
  const m = new M(undefined, { clock });
  assert.deepEqual(log.messages("info"), [
    "Skipping periodic task c because its interval is negative",
    "Skipping periodic task d because it is disabled",
  ]);
  assert.equal(await m.runPeriodicTasks(), 500);
  assert.deepEqual(m.ran, ["b", "e"]);
  assert.deepEqual(log.messages("error"), ["Error during M.e"]);
  await clock.tickAsync(0.7);
  assert.equal(await m.runPeriodicTasks(), 499.3);
  assert.deepEqual(m.ran, ["b", "e"]);
  assert.ok(log.messages("debug").includes("Running periodic task M.b"));
});

Deno.test("PeriodicTasks first runs a task spacing after construction, then on its grid", async () => {
  using clock = new FakeClock(1000);
  class T extends PeriodicTasks {
    runs: number[] = [];
    @periodicTask({ spacing: 1000 })
    async tick(): Promise<void> {
      await Promise.resolve();
      this.runs.push(clock.now());
    }
  }
  await clock.tickAsync(5000); // time before construction does not count
  const t = new T(undefined, { clock });
  await clock.tickAsync(999);
  assert.equal(await t.runPeriodicTasks(), 1);
  await clock.tickAsync(1);
  assert.equal(await t.runPeriodicTasks(), 1000);
  // Late by 2.5 periods: runs once (returning the spacing, as oslo does), and the next run
  // stays on the grid anchored at the first run (no replay of missed periods).
  await clock.tickAsync(2500);
  assert.equal(await t.runPeriodicTasks(), 1000);
  await clock.tickAsync(499);
  assert.equal(await t.runPeriodicTasks(), 1);
  await clock.tickAsync(1);
  await t.runPeriodicTasks();
  assert.deepEqual(t.runs, [7000, 9500, 10000]);
});

Deno.test("PeriodicTasks.runPeriodicTasks() passes the context and awaits each task in order", async () => {
  using clock = new FakeClock();
  const order: string[] = [];
  class Base extends PeriodicTasks {
    @periodicTask({ runImmediately: true, spacing: 100 })
    async first(ctx: unknown): Promise<void> {
      await Promise.resolve();
      order.push(`first:${ctx}`);
    }
  }
  class Child extends Base {
    @periodicTask({ runImmediately: true, spacing: 200, name: "renamed" })
    second(ctx: unknown): void {
      order.push(`second:${ctx}`);
    }
  }
  const child = new Child(undefined, { clock });
  assert.equal(await child.runPeriodicTasks("ctx"), 100);
  assert.deepEqual(order, ["first:ctx", "second:ctx"]);
  // Each instance keeps its own schedule.
  const other = new Child(undefined, { clock });
  await other.runPeriodicTasks(1);
  assert.deepEqual(order.slice(2), ["first:1", "second:1"]);
});

Deno.test("PeriodicTasks.runPeriodicTasks({raiseOnError: true}) rejects with the task's error", async () => {
  using _log = captureLog();
  using clock = new FakeClock();
  const m = new M(undefined, { clock });
  await assert.rejects(m.runPeriodicTasks(undefined, { raiseOnError: true }), /e failed/);
});

Deno.test("PeriodicTasks skips externalProcessOk tasks when run_external_periodic_tasks is false", async () => {
  using _log = captureLog();
  using clock = new FakeClock();
  const conf = new Config();
  const m = new M(conf, { clock });
  assert.equal(conf.get("run_external_periodic_tasks"), true);
  conf.setOverride("run_external_periodic_tasks", false);
  assert.equal(await m.runPeriodicTasks(), 500);
  assert.deepEqual(m.ran, ["b"]);
  // Registration on a Config is idempotent.
  new M(conf, { clock });
});

Deno.test("PeriodicTasks.addPeriodicTask() adds a task to this instance only", async () => {
  using clock = new FakeClock();
  class Empty extends PeriodicTasks {}
  const tasks = new Empty(undefined, { clock });
  const plain = new Empty(undefined, { clock });
  const runs: unknown[] = [];
  tasks.addPeriodicTask(function collect(this: unknown, ctx: unknown): void {
    runs.push([this === tasks, ctx]);
  }, { spacing: 300 });
  assert.equal(await tasks.runPeriodicTasks("x"), 300);
  await clock.tickAsync(300);
  assert.equal(await tasks.runPeriodicTasks("x"), 300);
  assert.deepEqual(runs, [[true, "x"]]);
  assert.equal(await plain.runPeriodicTasks(), 60_000);
  // A decorated method keeps its options.
  const pings: number[] = [];
  class Pinger extends PeriodicTasks {
    @periodicTask({ spacing: 100, runImmediately: true })
    ping(): void {
      pings.push(clock.now());
    }
  }
  tasks.addPeriodicTask(Pinger.prototype.ping);
  assert.equal(await tasks.runPeriodicTasks(), 100);
  assert.deepEqual(pings, [300]);
  assert.throws(() => tasks.addPeriodicTask(3 as unknown as () => void), TypeError);
});

Deno.test("PeriodicTasks adds oslo's jitter (whole seconds, up to 5 %) to long spacings", async () => {
  using clock = new FakeClock();
  class Slow extends PeriodicTasks {
    @periodicTask({ spacing: 40_000, runImmediately: true })
    work(): void {}
  }
  const slow = new Slow(undefined, { clock, random: () => 0.99 });
  await slow.runPeriodicTasks();
  await clock.tickAsync(40_000);
  await slow.runPeriodicTasks(); // lastRun = 40 s + trunc(40 * 0.99 / 20) s = 41 s
  await clock.tickAsync(40_000);
  assert.equal(await slow.runPeriodicTasks(), 1000);
});

Deno.test("PeriodicTasks: a 'random' returning a value outside [0, 1) fails the run, naming it", async () => {
  // NaN or -50 made the jitter NaN or negative, and the task ran at every run.
  using clock = new FakeClock();
  for (
    const [value, name] of [[Number.NaN, "RangeError"], [-50, "RangeError"], ["x", "TypeError"]]
  ) {
    let runs = 0;
    class Slow extends PeriodicTasks {
      @periodicTask({ spacing: 100_000, runImmediately: true })
      work(): void {
        runs++;
      }
    }
    const slow = new Slow(undefined, { clock, random: () => value as number });
    await slow.runPeriodicTasks();
    await clock.tickAsync(100_000);
    await assert.rejects(slow.runPeriodicTasks(), {
      name: name as string,
      message: /^Cannot schedule a periodic task as 'random' must return a number in \[0, 1\)/,
    });
    assert.equal(runs, 1);
  }
});

Deno.test("PeriodicTasks: a 'conf' that is not a Config is a TypeError naming it", () => {
  // {}, 5 and "x" failed with "conf?.registerOpts is not a function"; null was taken, and every
  // run of an external task then failed reading it.
  class Tasks extends PeriodicTasks {}
  for (const conf of [{}, 5, "x", null, { registerOpts(): void {} }]) {
    assert.throws(() => new Tasks(conf as unknown as Config), {
      name: "TypeError",
      message: /^Cannot create PeriodicTasks as 'conf' must be a Config: current value is /,
    });
  }
  assert.ok(new Tasks(new Config()) instanceof PeriodicTasks);
});

Deno.test("periodicTask() drives a ThreadGroup dynamic timer", async () => {
  using clock = new FakeClock();
  class Reporter extends PeriodicTasks {
    reports: number[] = [];
    @periodicTask({ spacing: 250 })
    report(): void {
      this.reports.push(clock.now());
    }
  }
  const r = new Reporter(undefined, { clock });
  const tg = new ThreadGroup({ clock });
  tg.addDynamicTimer(() => r.runPeriodicTasks(), { periodicIntervalMax: 1000 });
  await clock.tickAsync(1000);
  await tg.stop();
  assert.deepEqual(r.reports, [250, 500, 750, 1000]);
});

Deno.test("periodicTask() rejects bad options and misuse", () => {
  assert.throws(() => periodicTask({ spacing: Infinity }), RangeError);
  assert.throws(() => periodicTask({ runImmediately: 1 as unknown as boolean }), TypeError);
  assert.throws(() => periodicTask({ name: "" }), TypeError);
  assert.throws(() => {
    class _Static {
      @periodicTask()
      static tick(): void {}
    }
  }, TypeError);
  class NotTasks {
    @periodicTask()
    tick(): void {}
  }
  assert.throws(() => new NotTasks(), {
    name: "TypeError",
    message: "Cannot register periodic task 'tick' as its class does not extend PeriodicTasks",
  });
});

Deno.test("PeriodicTasks runs a subclass's override of a periodic method once, in its place", async () => {
  using clock = new FakeClock();
  class Base extends PeriodicTasks {
    ran: string[] = [];
    @periodicTask({ spacing: 100, runImmediately: true })
    first(): void {
      this.ran.push("base.first");
    }
    @periodicTask({ spacing: 100, runImmediately: true })
    second(): void {
      this.ran.push("base.second");
    }
  }
  class Plain extends Base {
    override first(): void {
      this.ran.push("plain.first");
    }
  }
  class Decorated extends Base {
    @periodicTask({ spacing: 300, runImmediately: true })
    override first(): void {
      super.first();
      this.ran.push("decorated.first");
    }
    @periodicTask({ enabled: false })
    override second(): void {}
  }
  const plain = new Plain(undefined, { clock });
  assert.equal(await plain.runPeriodicTasks(), 100);
  assert.deepEqual(plain.ran, ["plain.first", "base.second"]);
  const decorated = new Decorated(undefined, { clock });
  assert.equal(await decorated.runPeriodicTasks(), 300);
  assert.deepEqual(decorated.ran, ["base.first", "decorated.first"]);
});

class Parallel extends PeriodicTasks {}

function slowTasks(
  tasks: PeriodicTasks,
  clock: FakeClock,
  names: string[],
  events: string[],
  fail: Set<string> = new Set(),
): void {
  for (const name of names) {
    tasks.addPeriodicTask(async () => {
      events.push(`${name} start`);
      await clock.sleep(100);
      events.push(`${name} end`);
      if (fail.has(name)) throw new Error(`${name} failed`);
    }, { runImmediately: true, spacing: 1000, name });
  }
}

Deno.test("PeriodicTasks.runPeriodicTasksInParallel() runs every due task at once and returns ms until the next", async () => {
  using clock = new FakeClock();
  const tasks = new Parallel(undefined, { clock });
  const events: string[] = [];
  slowTasks(tasks, clock, ["a", "b", "c"], events);
  const run = tasks.runPeriodicTasksInParallel();
  await clock.tickAsync(100);
  assert.equal(await run, 1000);
  assert.deepEqual(events.slice(0, 3), ["a start", "b start", "c start"]);
  assert.equal(clock.now(), 100);
  // Nothing due now: nothing runs.
  assert.equal(await tasks.runPeriodicTasksInParallel(), 900);
  assert.equal(events.length, 6);
});

Deno.test("PeriodicTasks.runPeriodicTasksInParallel({maxConcurrency}) bounds how many run at once", async () => {
  using clock = new FakeClock();
  const tasks = new Parallel(undefined, { clock });
  const events: string[] = [];
  slowTasks(tasks, clock, ["a", "b", "c"], events);
  const run = tasks.runPeriodicTasksInParallel(undefined, { maxConcurrency: 2 });
  await clock.tickAsync(100);
  assert.deepEqual(events.slice(0, 2), ["a start", "b start"]);
  assert.ok(!events.includes("c start") || events.indexOf("c start") > events.indexOf("a end"));
  await clock.tickAsync(100);
  await run;
  assert.equal(events.length, 6);
  assert.throws(
    () => tasks.runPeriodicTasksInParallel(undefined, { maxConcurrency: 0 }),
    RangeError,
  );
});

Deno.test("PeriodicTasks.runPeriodicTasksInParallel() logs failures, or with raiseOnError rejects with the first after all settled", async () => {
  using log = captureLog();
  using clock = new FakeClock();
  const tasks = new Parallel(undefined, { clock });
  const events: string[] = [];
  slowTasks(tasks, clock, ["a", "b", "c"], events, new Set(["a", "b"]));
  const run = tasks.runPeriodicTasksInParallel();
  await clock.tickAsync(100);
  assert.equal(await run, 1000);
  assert.deepEqual(log.messages("error"), ["Error during Parallel.a", "Error during Parallel.b"]);

  const strict = new Parallel(undefined, { clock });
  const events2: string[] = [];
  slowTasks(strict, clock, ["a", "b", "c"], events2, new Set(["a", "b"]));
  const run2 = strict.runPeriodicTasksInParallel(undefined, { raiseOnError: true });
  const rejected = assert.rejects(run2, { message: "a failed" });
  await clock.tickAsync(100);
  await rejected;
  assert.ok(events2.includes("c end"), "c finished before the run rejected");
  assert.deepEqual(log.messages("error").slice(2), ["Error during Parallel.b"]);
});

Deno.test("runPeriodicTasks() and runPeriodicTasksInParallel() reject a raiseOnError that is not a boolean, at the call", async () => {
  class Failing extends PeriodicTasks {
    @periodicTask({ runImmediately: true })
    fail(): void {
      throw new Error("boom");
    }
  }
  using clock = new FakeClock();
  const tasks = new Failing(undefined, { clock });
  // "false" used to count as true: the task's error rejected the run instead of being logged.
  for (const run of [tasks.runPeriodicTasks, tasks.runPeriodicTasksInParallel]) {
    assert.throws(
      () => run.call(tasks, undefined, { raiseOnError: "false" as unknown as boolean }),
      {
        name: "TypeError",
        message:
          "Cannot run periodic tasks as 'raiseOnError' must be a boolean: current value is string false",
      },
    );
  }
  using _log = captureLog();
  assert.equal(await tasks.runPeriodicTasks(undefined, { raiseOnError: false }), 60_000);
});

Deno.test("periodicTask() describes a non-boolean flag as the rest of the folder does", () => {
  // It said "current value is yes" where the launchers and looping calls say "string yes".
  const cases: [Record<string, unknown>, string][] = [
    [{ runImmediately: "yes" }, "'runImmediately' must be a boolean: current value is string yes"],
    [{ externalProcessOk: 1 }, "'externalProcessOk' must be a boolean: current value is number 1"],
    [{ enabled: null }, "'enabled' must be a boolean: current value is null"],
  ];
  for (const [options, must] of cases) {
    assert.throws(() => periodicTask(options as never), {
      name: "TypeError",
      message: `Cannot use periodicTask as ${must}`,
    });
    class Tasks extends PeriodicTasks {}
    assert.throws(() => new Tasks().addPeriodicTask(() => {}, options as never), {
      name: "TypeError",
      message: `Cannot add periodic task as ${must}`,
    });
  }
});

Deno.test("periodicTask: 'spacing' given as a string is a TypeError naming it a string", () => {
  assert.throws(() => periodicTask({ spacing: "5" as unknown as number }), {
    name: "TypeError",
    message:
      "Cannot use periodicTask as 'spacing' must be a finite number: current value is string 5",
  });
  assert.throws(() => periodicTask({ spacing: Number.NaN }), {
    name: "RangeError",
    message: /'spacing' must be a finite number: current value is number NaN$/,
  });
});

Deno.test("runPeriodicTasksInParallel: 'maxConcurrency' is described by type (TypeError for a string, RangeError for -1)", () => {
  class Tasks extends PeriodicTasks {}
  const tasks = new Tasks();
  assert.throws(
    () => tasks.runPeriodicTasksInParallel(undefined, { maxConcurrency: "2" as unknown as number }),
    {
      name: "TypeError",
      message:
        "Cannot run periodic tasks as 'maxConcurrency' must be a positive integer: current value is string 2",
    },
  );
  // It said "must be a positive integer: -1", without "current value is".
  assert.throws(() => tasks.runPeriodicTasksInParallel(undefined, { maxConcurrency: -1 }), {
    name: "RangeError",
    message:
      "Cannot run periodic tasks as 'maxConcurrency' must be a positive integer: current value is number -1",
  });
});
