import assert from "node:assert/strict";
import type { TaskRef } from "../../backends/mod.ts";
import { captureLog } from "../_util.ts";
import {
  checkAbortedBeforeStartNeverRuns,
  checkBatchedTimeouts,
  maxOverlap,
  runFixture,
} from "./_helpers.ts";
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
    /'maxWorkers' must be an integer >= 1: current value is number -1$/,
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

Deno.test("WorkerPoolExecutor replaces a Worker that closes itself mid-task, failing only its running task", async () => {
  using log = captureLog();
  await using ex = new WorkerPoolExecutor({ maxWorkers: 1, tasksPerWorker: 4 });
  assert.equal(await ex.submit(ref("add"), 0, 0), 0);
  const slow = ex.submit(ref("sleepThen"), 50, "slept");
  const killer = ex.submit(ref("closeWorker"));
  const after1 = ex.submit(ref("add"), 1, 1);
  const after2 = ex.submit(ref("add"), 2, 2);
  const err = await killer.exception() as WorkerCrashedError;
  assert.ok(err instanceof WorkerCrashedError);
  assert.match(err.message, /self\.close\(\)/);
  assert.equal(err.worker, "worker 1");
  // The Worker ran `slow` to the end before `killer` started (one task at a time).
  assert.equal(await slow, "slept");
  // Tasks sent ahead but not started went to the replacement Worker.
  assert.equal(await after1, 2);
  assert.equal(await after2, 4);
  assert.equal(await ex.submit(ref("add"), 3, 3), 6);
  assert.ok(log.warnings.some((l) => /Replacing worker 1/.test(l)));
  assert.equal(ex.statistics.failures, 1);
});

Deno.test("WorkerPoolExecutor: a task's own postMessage() is ignored with one warning, and one shaped like fjord's fails only its Worker; this process lives on", async () => {
  using log = captureLog();
  await using ex = new WorkerPoolExecutor({ maxWorkers: 1 });
  // Before, either ended this whole process ("envelope is not iterable", or in the pool).
  assert.equal(await ex.submit(ref("postOwnMessages"), "value"), "posted");
  assert.equal(await ex.submit(ref("postOwnMessages"), "value"), "posted");
  assert.equal(log.warnings.filter((w) => w.includes("called postMessage()")).length, 1);
  const err = await ex.submit(ref("postOwnMessages"), "envelope").exception();
  assert.ok(err instanceof WorkerCrashedError, String(err));
  assert.match(err.message, /it sent a message fjord could not handle/);
  assert.equal(await ex.submit(ref("add"), 1, 2), 3);
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

// Runs the pool fixture without --allow-read; what its future failed with.
async function poolWithoutRead(
  ...args: string[]
): Promise<{ name: string; message: string; broken: boolean; ms: number }> {
  const script = new URL("./_fixtures/pool_without_read.ts", import.meta.url);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--quiet", script.pathname, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test("WorkerPoolExecutor whose Workers cannot start becomes broken instead of respawning forever", async () => {
  const result = await poolWithoutRead();
  assert.equal(result.name, "BrokenExecutorError");
  assert.match(result.message, /before it was ready/);
  assert.match(result.message, /read access/);
  assert.equal(result.broken, true);
});

Deno.test("WorkerPoolExecutor gives up at once on a missing permission, not after its restart back-off", async () => {
  const result = await poolWithoutRead("default");
  assert.equal(result.name, "BrokenExecutorError");
  assert.match(result.message, /a missing permission is not retried/);
  // The default policy's back-off held it ~21 s: 10 restarts, waits doubling to 5 s.
  assert.ok(result.ms < 5_000, `${result.ms} ms`);
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

Deno.test("WorkerPoolExecutor({maxWorkers: 2}) runs at most 2 async tasks at once; running() counts only those", async () => {
  await using ex = new WorkerPoolExecutor({ maxWorkers: 2 });
  // Warm up with quick tasks so the pool pipelines (sends many tasks per Worker).
  await Promise.all(Array.from({ length: 64 }, (_, i) => ex.submit(ref("add"), i, 0)));
  const fs = Array.from({ length: 8 }, () => ex.submit<[number, number]>(ref("window"), 30));
  let peakRunning = 0;
  while (!fs.every((f) => f.done())) {
    peakRunning = Math.max(peakRunning, fs.filter((f) => f.running()).length);
    await new Promise((r) => setTimeout(r, 2));
  }
  assert.ok(maxOverlap(await Promise.all(fs)) <= 2);
  assert.ok(peakRunning <= 2 && peakRunning >= 1, `peak running ${peakRunning}`);
  assert.equal(ex.statistics.executed, 72);
  assert.equal(ex.statistics.failures, 0);
});

Deno.test("WorkerPoolExecutor: a task's timeout counts its own run, not that of the tasks sent with it", async () => {
  await using ex = new WorkerPoolExecutor({ maxWorkers: 1 });
  await checkBatchedTimeouts(ex, ref);
});

Deno.test("WorkerPoolExecutor: a task with a signal waits for an idle worker: aborted before it starts, it never runs; it runs on the replacement of a worker stopped by a timeout", async () => {
  await using ex = new WorkerPoolExecutor({ maxWorkers: 1 });
  await checkAbortedBeforeStartNeverRuns(ex, ref);
});

Deno.test("WorkerPoolExecutor stops a task at its timeout by replacing its Worker; tasks queued behind it still run", async () => {
  using log = captureLog();
  await using ex = new WorkerPoolExecutor({ maxWorkers: 1, tasksPerWorker: 8 });
  const before = await ex.submit<string>(ref("isolateId"));
  await Promise.all(Array.from({ length: 32 }, () => ex.submit(ref("add"), 1, 1)));
  // Async: a Worker stuck in a synchronous loop cannot be terminated on Deno 2.9 (its thread
  // keeps running; denoland/deno#35657), see the process pool for those.
  const spinning = ex.submitWith({ timeout: 100 }, ref("hang"));
  const behind = [ex.submit(ref("add"), 2, 2), ex.submit(ref("add"), 3, 3)];
  const err = await spinning.exception() as DOMException;
  assert.equal(err.name, "TimeoutError");
  assert.deepEqual(await Promise.all(behind), [4, 6]);
  assert.notEqual(await ex.submit<string>(ref("isolateId")), before);
  assert.equal(log.warnings.length, 0, "a deliberate stop is not a crash");
});

Deno.test("WorkerPoolExecutor: aborting a hung task's signal rejects it with AbortError; taskTimeout is the default", async () => {
  await using ex = new WorkerPoolExecutor({ maxWorkers: 1, taskTimeout: 80 });
  const stop = new AbortController();
  const hung = ex.submitWith({ signal: stop.signal, timeout: 60_000 }, ref("hang"));
  while (!hung.running()) await new Promise((r) => setTimeout(r, 5));
  stop.abort();
  await assert.rejects(hung.result(), { name: "AbortError" });
  await assert.rejects(ex.submit(ref("hang")).result(), { name: "TimeoutError" });
  // Aborted before it started: rejected at once, never run.
  const early = ex.submitWith({ signal: AbortSignal.abort() }, ref("add"), 1, 1);
  await assert.rejects(early.result(), { name: "AbortError" });
  assert.equal(await ex.submit(ref("add"), 1, 1), 2);
  assert.throws(() => ex.submitWith({ timeout: -1 }, ref("add"), 1, 1), RangeError);
  assert.throws(
    () => ex.submitWith({ signal: "x" as unknown as AbortSignal }, ref("add"), 1, 1),
    TypeError,
  );
  assert.equal(ex.statistics.failures, 3);
});

Deno.test("WorkerPoolExecutor.shutdown({cancelFutures, timeout}) stops hung async tasks and the program exits", async () => {
  {
    const { code, json, stderr } = await runFixture("hung_pool.ts", ["worker", "hang", "shutdown"]);
    assert.equal(code, 0, stderr);
    assert.deepEqual(json.hung, [true, true]);
    assert.equal(json.queued, true);
    assert.ok((json.ms as number) < 5_000, `shutdown took ${json.ms} ms`);
  }
});
