import assert from "node:assert/strict";
import type { TaskRef } from "../../backends/mod.ts";
import { captureLog } from "./_helpers.ts";
import {
  CancelledError,
  RejectedSubmissionError,
  rejectWhenReached,
  transfer,
  WorkerCrashedError,
  WorkerPoolExecutor,
} from "../../futures/mod.ts";

const TASKS = new URL("./_fixtures/tasks.ts", import.meta.url);
const ref = (name: string): TaskRef => ({ module: TASKS, export: name });

Deno.test("WorkerPoolExecutor() rejects maxWorkers and tasksPerWorker below 1", () => {
  assert.throws(() => new WorkerPoolExecutor({ maxWorkers: 0 }), RangeError);
  assert.throws(() => new WorkerPoolExecutor({ maxWorkers: 1.5 }), RangeError);
  assert.throws(() => new WorkerPoolExecutor({ tasksPerWorker: 0 }), RangeError);
  assert.throws(
    () => new WorkerPoolExecutor({ maxWorkers: -1 }),
    /'maxWorkers' must be an integer >= 1: current value is -1/,
  );
});

Deno.test("WorkerPoolExecutor runs tasks at the same time in separate Worker isolates", async () => {
  await using ex = new WorkerPoolExecutor({ maxWorkers: 2, tasksPerWorker: 1 });
  const counter = new SharedArrayBuffer(4);
  // Each task blocks its isolate until both have arrived: only two Workers can finish them.
  const ids = await Promise.all([
    ex.submit<string>(ref("rendezvous"), counter, 2),
    ex.submit<string>(ref("rendezvous"), counter, 2),
  ]);
  const here = (await import("./_fixtures/tasks.ts")).isolateId();
  assert.equal(new Set(ids).size, 2);
  assert.ok(!ids.includes(here));
});

Deno.test("WorkerPoolExecutor replaces a Worker that closes itself mid-task, failing only its running tasks", async () => {
  using log = captureLog();
  await using ex = new WorkerPoolExecutor({ maxWorkers: 1, tasksPerWorker: 4 });
  assert.equal(await ex.submit(ref("add"), 0, 0), 0);
  const slow = ex.submit(ref("sleepThen"), 200, "never");
  const killer = ex.submit(ref("closeWorker"));
  const after1 = ex.submit(ref("add"), 1, 1);
  const after2 = ex.submit(ref("add"), 2, 2);
  const err = await killer.exception() as WorkerCrashedError;
  assert.ok(err instanceof WorkerCrashedError);
  assert.match(err.message, /self\.close\(\)/);
  assert.equal(err.worker, "worker 1");
  const slowErr = await slow.exception();
  assert.ok(slowErr instanceof WorkerCrashedError);
  // Tasks sent ahead but not started went to the replacement Worker.
  assert.equal(await after1, 2);
  assert.equal(await after2, 4);
  assert.equal(await ex.submit(ref("add"), 3, 3), 6);
  assert.ok(log.warnings.some((l) => /Replacing worker 1/.test(l)));
  assert.equal(ex.statistics.failures, 2);
});

Deno.test("WorkerPoolExecutor fails a task that calls Deno.exit() and keeps going", async () => {
  using _log = captureLog();
  await using ex = new WorkerPoolExecutor({ maxWorkers: 1 });
  const err = await ex.submit(ref("exitProcess"), 3).exception() as Error;
  assert.ok(err instanceof WorkerCrashedError);
  assert.match(err.message, /Deno\.exit\(3\)/);
  assert.equal(await ex.submit(ref("add"), 2, 3), 5);
});

Deno.test("WorkerPoolExecutor fails a task whose module kills every Worker that imports it", async () => {
  using log = captureLog();
  await using ex = new WorkerPoolExecutor({ maxWorkers: 1 });
  const doomed = {
    module: new URL("./_fixtures/exit_on_import.ts", import.meta.url),
    export: "never",
  };
  const err = await ex.submit(doomed).exception() as Error;
  assert.ok(err instanceof WorkerCrashedError);
  assert.match(err.message, /Deno\.exit\(7\).*in flight on 3 workers that died/);
  // Three Workers died for it, then the pool gave up on the task, not on itself.
  assert.equal(log.warnings.filter((l) => /Replacing worker/.test(l)).length, 3);
  assert.equal(await ex.submit(ref("add"), 2, 5), 7);
  assert.equal(ex.statistics.failures, 1);
});

Deno.test("WorkerPoolExecutor replaces a Worker killed by a stray uncaught error", async () => {
  using log = captureLog();
  await using ex = new WorkerPoolExecutor({ maxWorkers: 1 });
  assert.equal(await ex.submit(ref("uncaughtLater")), "returned");
  while (!log.warnings.some((l) => /stray error/.test(l))) {
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.equal(await ex.submit(ref("add"), 1, 2), 3);
});

Deno.test("WorkerPoolExecutor.submit() rejects when the backlog reaches checkAndReject's limit", async () => {
  await using ex = new WorkerPoolExecutor({
    maxWorkers: 1,
    tasksPerWorker: 1,
    checkAndReject: rejectWhenReached(2),
  });
  await ex.submit(ref("add"), 0, 0);
  const running = ex.submit(ref("sleepThen"), 50, "r");
  const q1 = ex.submit(ref("add"), 1, 0);
  const q2 = ex.submit(ref("add"), 2, 0);
  assert.throws(() => ex.submit(ref("add"), 3, 0), (e: unknown) => {
    assert.ok(e instanceof RejectedSubmissionError);
    assert.equal(e.backlog, 2);
    assert.equal(e.maxBacklog, 2);
    return true;
  });
  assert.deepEqual(await Promise.all([running, q1, q2]), ["r", 1, 2]);
});

Deno.test("WorkerPoolExecutor.shutdown({wait: false}) still runs queued work and releases Workers", async () => {
  const ex = new WorkerPoolExecutor({ maxWorkers: 1, tasksPerWorker: 1 });
  const fs = [ex.submit(ref("sleepThen"), 20, 1), ex.submit(ref("add"), 1, 1)];
  await ex.shutdown({ wait: false });
  assert.equal(ex.alive, false);
  assert.deepEqual(await Promise.all(fs), [1, 2]);
  // A second, waiting shutdown resolves once the Workers are terminated.
  await ex.shutdown();
});

Deno.test("Future.cancel() on a WorkerPoolExecutor cancels queued tasks only", async () => {
  await using ex = new WorkerPoolExecutor({ maxWorkers: 1, tasksPerWorker: 1 });
  // Long enough that the running task cannot finish (and start `queued`) before we cancel,
  // even when the polling timer below fires late on a loaded machine.
  const running = ex.submit(ref("sleepThen"), 500, "r");
  const queued = ex.submit(ref("add"), 1, 1);
  while (!running.running()) await new Promise((r) => setTimeout(r, 1));
  assert.equal(running.cancel(), false);
  assert.equal(queued.cancel(), true);
  await assert.rejects(queued.result(), CancelledError);
  assert.equal(await running, "r");
  assert.equal(ex.statistics.cancelled, 1);
  assert.equal(ex.statistics.executed, 1);
});

Deno.test("WorkerPoolExecutor fails its work instead of respawning forever when Workers cannot start", async () => {
  const script = new URL("./_fixtures/pool_without_read.ts", import.meta.url);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--quiet", script.pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const result = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.equal(result.name, "WorkerCrashedError");
  assert.match(result.message, /3 workers in a row died before they were ready/);
  assert.match(result.message, /read access/);
});

Deno.test("WorkerPoolExecutor moves transfer()-marked arguments and results instead of copying", async () => {
  await using ex = new WorkerPoolExecutor({ maxWorkers: 1 });
  const buf = new Uint8Array([1, 2, 3]).buffer;
  const back = await ex.submit<ArrayBuffer>(ref("doubleBytes"), transfer(buf, [buf]));
  assert.equal(buf.byteLength, 0, "the argument's buffer was moved to the Worker");
  assert.ok(back instanceof ArrayBuffer);
  assert.deepEqual([...new Uint8Array(back)], [2, 4, 6]);
  // Unmarked buffers are copied: the caller keeps its own.
  const kept = new Uint8Array([5]).buffer;
  assert.deepEqual([...new Uint8Array(await ex.submit<ArrayBuffer>(ref("echo"), kept))], [5]);
  assert.equal(kept.byteLength, 1);
  assert.throws(() => transfer(buf, "x" as unknown as ArrayBuffer[]), TypeError);
});
