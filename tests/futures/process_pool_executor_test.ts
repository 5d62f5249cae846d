import assert from "node:assert/strict";
import type { TaskRef } from "../../backends/mod.ts";
import { captureLog } from "./_helpers.ts";
import { ProcessPoolExecutor, transfer, WorkerCrashedError } from "../../futures/mod.ts";

const TASKS = new URL("./_fixtures/tasks.ts", import.meta.url);
const ref = (name: string): TaskRef => ({ module: TASKS, export: name });

Deno.test("ProcessPoolExecutor() validates maxWorkers and denoArgs", () => {
  assert.throws(() => new ProcessPoolExecutor({ maxWorkers: 0 }), RangeError);
  assert.throws(
    () => new ProcessPoolExecutor({ denoArgs: "--allow-read" as unknown as string[] }),
    TypeError,
  );
  assert.throws(() => new ProcessPoolExecutor().submit(() => 1), /TaskRef/);
});

Deno.test("ProcessPoolExecutor runs tasks in child processes; task stdout noise does not break the protocol", async () => {
  await using ex = new ProcessPoolExecutor({ maxWorkers: 2 });
  const pids = await Promise.all([ex.submit<number>(ref("pid")), ex.submit<number>(ref("pid"))]);
  assert.ok(pids.every((p) => p !== Deno.pid));
  const echoed = await Promise.all(
    Array.from({ length: 20 }, (_, i) => ex.submit<string>(ref("logToStdout"), `v${i}`)),
  );
  assert.deepEqual(echoed, Array.from({ length: 20 }, (_, i) => `v${i}`));
  const big = "x".repeat(300_000);
  assert.equal(await ex.submit(ref("echo"), big), big);
  // transfer() is unwrapped; a child process always gets a copy.
  const buf = new Uint8Array([1, 2]).buffer;
  const back = await ex.submit<ArrayBuffer>(ref("doubleBytes"), transfer(buf, [buf]));
  assert.deepEqual([...new Uint8Array(back)], [2, 4]);
  assert.equal(buf.byteLength, 2);
});

Deno.test("ProcessPoolExecutor fails a task whose child calls Deno.exit() and replaces the child", async () => {
  using log = captureLog();
  {
    await using ex = new ProcessPoolExecutor({ maxWorkers: 1, tasksPerWorker: 4 });
    const first = await ex.submit<number>(ref("pid"));
    // Pipelined together: `slow` is running (async) when `killer` exits; `after` has not started.
    const slow = ex.submit(ref("sleepThen"), 300, "never");
    const killer = ex.submit(ref("exitProcess"), 3);
    const after = ex.submit(ref("add"), 1, 2);
    const err = await killer.exception() as WorkerCrashedError;
    assert.ok(err instanceof WorkerCrashedError);
    assert.match(err.message, /Deno\.exit\(3\)/);
    assert.ok(await slow.exception() instanceof WorkerCrashedError);
    assert.equal(await after, 3);
    assert.equal(ex.statistics.failures, 2);
    assert.notEqual(await ex.submit<number>(ref("pid")), first);
    assert.ok(log.warnings.some((w) => /Replacing process 1/.test(w)));
  }
});

Deno.test("ProcessPoolExecutor children get only the permissions in denoArgs", async () => {
  await using ex = new ProcessPoolExecutor({ maxWorkers: 1, denoArgs: [] });
  const err = await ex.submit(ref("add"), 1, 2).exception() as Error;
  assert.equal(err.name, "TaskNotFoundError");
  assert.match(err.message, /tasks\.ts/);
  assert.match(err.message, /read/i);
});

Deno.test("ProcessPoolExecutor fails its work when children cannot start (bad denoArgs)", async () => {
  using log = captureLog();
  await using ex = new ProcessPoolExecutor({ maxWorkers: 1, denoArgs: ["--no-such-flag"] });
  const err = await ex.submit(ref("add"), 1, 2).exception() as Error;
  assert.ok(err instanceof WorkerCrashedError);
  assert.match(err.message, /before they were ready; the last: it exited with status/);
  assert.throws(() => ex.submit(() => 1), TypeError);
  assert.ok(ex.submit(ref("add"), 1, 1) !== undefined);
  assert.equal(log.errors.length, 1);
});

Deno.test("ProcessPoolExecutor fails the tasks of a child killed by SIGKILL and carries on", async () => {
  using log = captureLog();
  await using ex = new ProcessPoolExecutor({ maxWorkers: 1 });
  const err = await ex.submit(ref("killSelf")).exception() as Error;
  assert.ok(err instanceof WorkerCrashedError);
  assert.match(err.message, /killed by signal SIGKILL/);
  assert.equal(await ex.submit(ref("add"), 4, 4), 8);
  assert.equal(log.warnings.length, 1);
});

Deno.test("An idle ProcessPoolExecutor does not keep the program alive, and its children exit with it", async () => {
  const script = new URL("./_fixtures/pool_left_open.ts", import.meta.url);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-run", "--quiet", script.pathname],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const { pid } = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.notEqual(pid, Deno.pid);
  // The child saw stdin close when its parent ended, and exited.
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const status = await Deno.readTextFile(`/proc/${pid}/status`);
      if (/State:\s+Z/.test(status)) break;
    } catch {
      break;
    }
    assert.ok(Date.now() < deadline, `child ${pid} outlived its parent`);
    await new Promise((r) => setTimeout(r, 20));
  }
});
