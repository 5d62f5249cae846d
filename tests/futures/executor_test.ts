// One scenario matrix: the behaviour every executor shares, run against each of them
// (futurist's "scenarios" idea). Functions go to the executors that take them; TaskRefs to all.

import assert from "node:assert/strict";
import { initBackend, type TaskRef } from "../../backends/mod.ts";
import { TaskNotFoundError } from "../../runtime/task_ref.ts";
import {
  AsyncPoolExecutor,
  BaseExecutor,
  CancelledError,
  type Executor,
  ExecutorShutdownError,
  ProcessPoolExecutor,
  SynchronousExecutor,
  ThreadPoolExecutor,
  waitForAll,
  WorkerPoolExecutor,
} from "../../futures/mod.ts";

initBackend("threading");

const TASKS = new URL("./_fixtures/tasks.ts", import.meta.url);
const ref = (name: string): TaskRef => ({ module: TASKS, export: name });

interface Case {
  name: string;
  make: () => BaseExecutor;
  functions: boolean;
}

const CASES: Case[] = [
  { name: "SynchronousExecutor", make: () => new SynchronousExecutor(), functions: true },
  {
    name: "AsyncPoolExecutor",
    make: () => new AsyncPoolExecutor({ maxWorkers: 2 }),
    functions: true,
  },
  {
    name: "WorkerPoolExecutor",
    make: () => new WorkerPoolExecutor({ maxWorkers: 2 }),
    functions: false,
  },
  {
    name: "ProcessPoolExecutor",
    make: () => new ProcessPoolExecutor({ maxWorkers: 1 }),
    functions: false,
  },
  {
    name: "ThreadPoolExecutor",
    make: () => new ThreadPoolExecutor({ maxWorkers: 2 }),
    functions: false,
  },
];

for (const c of CASES) {
  Deno.test(`${c.name} runs the shared executor scenarios`, async (t) => {
    const ex = c.make();
    assert.ok(ex instanceof BaseExecutor);
    assert.equal(ex.alive, true);

    await t.step("submit(TaskRef) resolves with the task's value", async () => {
      assert.equal(await ex.submit(ref("add"), 2, 3), 5);
    });

    await t.step("submit() passes structured-cloneable arguments and results", async () => {
      const value = { map: new Map([[1, "a"]]), date: new Date(5), bytes: new Uint8Array([7]) };
      const back = await ex.submit<typeof value>(ref("echo"), value);
      assert.deepEqual(back, value);
    });

    await t.step("submit() of an async task resolves when its promise does", async () => {
      assert.equal(await ex.submit(ref("sleepThen"), 5, "late"), "late");
    });

    await t.step("a thrown error keeps its name, message and fields", async () => {
      const err = await ex.submit(ref("throwQuota"), 7).exception() as
        & Error
        & { quota: number };
      assert.equal(err.name, "QuotaError");
      assert.equal(err.message, "over quota 7");
      assert.equal(err.quota, 7);
      assert.match(err.stack ?? "", /throwQuota/);
      const rej = await ex.submit(ref("rejectAsync"), "async no").exception();
      assert.ok(rej instanceof TypeError);
      assert.equal(rej.message, "async no");
    });

    await t.step("a non-Error throw still rejects clearly", async () => {
      const err = await ex.submit(ref("throwString")).exception();
      assert.ok(err !== undefined);
      assert.match(String((err as Error).message ?? err), /plain string/);
    });

    await t.step("a TaskRef whose export is missing rejects naming module and export", async () => {
      const err = await ex.submit(ref("nope")).exception() as Error;
      // From a Worker or a child it was a plain Error named so: now the class, on every pool.
      assert.ok(err instanceof TaskNotFoundError, String(err));
      assert.equal(err.export, "nope");
      assert.match(err.message, /'nope'/);
      assert.match(err.message, /tasks\.ts/);
      const err2 = await ex.submit(ref("notAFunction")).exception() as Error;
      assert.match(err2.message, /not a function/);
      const missing = { module: new URL("./_fixtures/absent.ts", import.meta.url), export: "x" };
      const err3 = await ex.submit(missing).exception() as Error;
      assert.equal(err3.name, "TaskNotFoundError");
      assert.match(err3.message, /absent\.ts/);
    });

    await t.step("a malformed TaskRef throws TypeError at submit", () => {
      assert.throws(() => ex.submit({ module: "./relative.ts", export: "x" }), TypeError);
      assert.throws(() => ex.submit(42 as unknown as TaskRef), TypeError);
    });

    if (c.functions) {
      await t.step("submit(fn) runs plain and async functions", async () => {
        assert.equal(await ex.submit((a: number) => a * 2, 21), 42);
        assert.equal(await ex.submit(() => Promise.resolve("async")), "async");
        const err = await ex.submit(() => {
          throw 17;
        }).exception();
        assert.equal(err, 17);
      });
    } else {
      await t.step("submit(fn) throws a TypeError explaining TaskRef", () => {
        assert.throws(() => ex.submit(function job(): void {}), (err: unknown) => {
          assert.ok(err instanceof TypeError);
          assert.match(err.message, /'job'/);
          assert.match(err.message, /TaskRef/);
          return true;
        });
      });

      await t.step(
        "a non-cloneable argument rejects that future; the pool keeps working",
        async () => {
          const bad = ex.submit(ref("echo"), () => {});
          const good = ex.submit(ref("add"), 1, 1);
          const err = await bad.exception() as Error;
          assert.equal(err.name, "DataCloneError");
          assert.equal(await good, 2);
        },
      );

      await t.step("a non-cloneable result rejects with the clone error", async () => {
        const err = await ex.submit(ref("returnFunction")).exception() as Error;
        assert.equal(err.name, "DataCloneError");
        assert.equal(await ex.submit(ref("add"), 2, 2), 4);
      });
    }

    await t.step("map() yields results in input order", async () => {
      const out: number[] = [];
      for await (const v of ex.map<number, number>(ref("fib"), [10, 1, 5, 0])) out.push(v);
      assert.deepEqual(out, [55, 1, 5, 0]);
    });

    await t.step("map() throws the first failure it reaches", async () => {
      const it = ex.map<number, never>(ref("throwQuota"), [1, 2]);
      await assert.rejects(async () => {
        for await (const _ of it) { /* consume */ }
      }, { name: "QuotaError" });
    });

    await t.step("many submissions all complete", async () => {
      const fs = Array.from({ length: 200 }, (_, i) => ex.submit<number>(ref("add"), i, 1));
      const { done, notDone } = await waitForAll(fs);
      assert.equal(done.size, 200);
      assert.equal(notDone.size, 0);
      const values = await Promise.all(fs);
      assert.equal(values.reduce((a, b) => a + b, 0), 200 * 201 / 2);
    });

    await t.step(
      "a task throwing an error with a throwing getter fails alone and runs once",
      async () => {
        // Reading it killed the worker: the task ran again on the next worker, three times in
        // all, and failed with WorkerCrashedError; repeating it broke the pool.
        const path = await Deno.makeTempFile();
        try {
          for (let i = 0; i < 4; i++) {
            await assert.rejects(async () => await ex.submit(ref("throwUnreadable"), path), {
              message: "charged the card, then failed",
            });
          }
          assert.equal(await Deno.readTextFile(path), "ran\n".repeat(4));
          assert.equal(await ex.submit<number>(ref("add"), 1, 2), 3);
        } finally {
          await Deno.remove(path);
        }
      },
    );

    await t.step("statistics count executed and failures", () => {
      const s = ex.statistics;
      assert.ok(s.executed > 200);
      assert.ok(s.failures >= 8);
      assert.equal(s.cancelled, 0);
      assert.ok(s.runtime >= 0);
      assert.ok(Object.isFrozen(s));
    });

    await t.step("shutdown() stops submissions and is idempotent", async () => {
      const last = ex.submit(ref("sleepThen"), 20, "queued before shutdown");
      await ex.shutdown();
      assert.equal(ex.alive, false);
      assert.ok(last.done());
      assert.equal(await last, "queued before shutdown");
      assert.throws(() => ex.submit(ref("add"), 1, 2), ExecutorShutdownError);
      await ex.shutdown();
      await ex[Symbol.asyncDispose]();
    });
  });
}

Deno.test("a task awaiting its own executor's shutdown with a timeout is cancelled when it runs out, and the shutdown resolves", async () => {
  // The README's way out of the self-wait (without a timeout the task waits for itself).
  for (const ex of [new AsyncPoolExecutor({ maxWorkers: 2 }), new SynchronousExecutor()]) {
    let closing: Promise<void> | undefined;
    const task = ex.submit(async () => {
      closing = ex.shutdown({ wait: true, timeout: 50 });
      await closing;
      return "after";
    });
    await assert.rejects(task.result(), CancelledError);
    await closing;
    assert.equal(ex.alive, false);
  }
});

Deno.test("Executor.shutdown({cancelFutures}) cancels queued work on every pool", async () => {
  const pools: Executor[] = [
    new AsyncPoolExecutor({ maxWorkers: 1 }),
    new WorkerPoolExecutor({ maxWorkers: 1, tasksPerWorker: 1 }),
  ];
  for (const ex of pools) {
    // Long enough that `first` is still running when the polling below notices it started.
    const first = ex.submit(ref("sleepThen"), 500, "ran");
    const queued = Array.from({ length: 3 }, () => ex.submit(ref("add"), 1, 1));
    while (!first.running()) await new Promise((r) => setTimeout(r, 1));
    await ex.shutdown({ cancelFutures: true });
    assert.equal(await first, "ran");
    for (const f of queued) {
      assert.ok(f.cancelled());
      await assert.rejects(f.result(), CancelledError);
    }
    assert.equal(ex.statistics.cancelled, 3);
  }
});

Deno.test("executors name a bad options object, 'items' or shutdown flag at the call", async () => {
  // They failed with "Cannot destructure …", "items is not iterable" and "Cannot read
  // properties of null"; shutdown({ wait: "no" }) waited.
  assert.throws(() => new AsyncPoolExecutor(null as never), {
    name: "TypeError",
    message: "Cannot create executor as 'options' must be an object: current value is null",
  });
  await using ex = new AsyncPoolExecutor();
  assert.throws(() => ex.map((x: number) => x, 42 as never), {
    name: "TypeError",
    message: "Cannot map over items as 'items' must be iterable: current value is number 42",
  });
  assert.throws(() => ex.shutdown(null as never), {
    name: "TypeError",
    message: "Cannot shut down executor as 'options' must be an object: current value is null",
  });
  assert.throws(() => ex.shutdown({ wait: "no" as never }), {
    name: "TypeError",
    message: "Cannot shut down executor as 'wait' must be a boolean: current value is string no",
  });
  assert.throws(() => ex.shutdown({ cancelFutures: 1 as never }), /'cancelFutures'/);
  assert.equal(ex.alive, true); // nothing was shut down by a refused call
});

Deno.test("a pool task with a signal that waits for an idle worker can still be cancelled, and cancelFutures cancels it", async () => {
  // Such a task waits in the pool, sent to no worker, but cancel() returned false for the
  // first of them and shutdown({ cancelFutures: true }) let it run.
  for (
    const make of [
      () => new WorkerPoolExecutor({ maxWorkers: 1 }),
      () => new ProcessPoolExecutor({ maxWorkers: 1 }),
    ]
  ) {
    const ex = make();
    const dir = await Deno.makeTempDir();
    try {
      await ex.submit(ref("add"), 1, 1); // the worker is up
      const busy = ex.submit(ref("sleepThen"), 400, "busy");
      const signal = new AbortController().signal;
      const parked = [1, 2, 3].map((i) => ex.submitWith({ signal }, ref("touch"), `${dir}/${i}`));
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(parked[0]!.running(), false);
      assert.equal(parked[0]!.cancel(), true);
      await ex.shutdown({ cancelFutures: true });
      assert.ok(parked.every((f) => f.cancelled()), ex.constructor.name);
      assert.equal(await busy, "busy");
      assert.deepEqual(
        [...Deno.readDirSync(dir)],
        [],
        `${ex.constructor.name}: a cancelled task ran`,
      );
    } finally {
      await ex.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  }
});
