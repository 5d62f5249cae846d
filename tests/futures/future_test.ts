import assert from "node:assert/strict";
import { FakeClock } from "../../backends/mod.ts";
import { captureLog } from "../_util.ts";
import {
  AsyncPoolExecutor,
  CancelledError,
  Future,
  SynchronousExecutor,
} from "../../futures/mod.ts";

Deno.test("Future moves pending → running → done and reports each state", async () => {
  await using ex = new AsyncPoolExecutor({ maxWorkers: 1 });
  const { promise, resolve } = Promise.withResolvers<number>();
  const f = ex.submit(() => promise);
  assert.deepEqual([f.running(), f.done(), f.cancelled()], [false, false, false]);
  while (!f.running()) await Promise.resolve();
  assert.deepEqual([f.running(), f.done(), f.cancelled()], [true, false, false]);
  resolve(9);
  assert.equal(await f, 9);
  assert.deepEqual([f.running(), f.done(), f.cancelled()], [false, true, false]);
});

Deno.test("Future.cancel() succeeds only while pending", async () => {
  const f = new Future<number>();
  assert.equal(f.cancel(), true);
  assert.equal(f.cancelled(), true);
  assert.equal(f.done(), true);
  assert.equal(f.running(), false);
  await assert.rejects(f.result(), CancelledError);
  await assert.rejects(f.exception(), CancelledError);
  await assert.rejects(Promise.resolve(f), CancelledError);
  const done = new SynchronousExecutor().submit(() => 1);
  assert.equal(done.cancel(), false);
  assert.equal(done.cancelled(), false);
});

Deno.test("Future.result({timeout}) rejects with TimeoutError while the work keeps running", async () => {
  using clock = new FakeClock();
  await using ex = new AsyncPoolExecutor({ maxWorkers: 1, clock });
  const f = ex.submit(async () => {
    await clock.sleep(100);
    return "late";
  });
  const timedOut = assert.rejects(f.result({ timeout: 50, clock }), (e: unknown) => {
    assert.ok(e instanceof DOMException);
    assert.equal(e.name, "TimeoutError");
    return true;
  });
  await clock.tickAsync(50);
  await timedOut;
  assert.equal(f.done(), false);
  await assert.rejects(f.exception({ timeout: 0, clock }), { name: "TimeoutError" });
  await clock.tickAsync(50);
  assert.equal(await f.result({ timeout: 10, clock }), "late");
  assert.equal(clock.pending, 0);
});

Deno.test("Future.result({signal}) rejects with the abort reason", async () => {
  const f = new Future<number>();
  const ctl = new AbortController();
  const waiting = f.result({ signal: ctl.signal });
  ctl.abort(new Error("gave up"));
  await assert.rejects(waiting, /gave up/);
  await assert.rejects(f.result({ signal: ctl.signal }), /gave up/);
  assert.throws(() => f.result({ timeout: -1 }), RangeError);
  f.cancel();
});

Deno.test("Future.exception() resolves undefined after success and the error after failure", async () => {
  const ex = new SynchronousExecutor();
  assert.equal(await ex.submit(() => 5).exception(), undefined);
  const err = new RangeError("bad");
  assert.equal(await ex.submit(() => Promise.reject(err)).exception(), err);
  await assert.rejects(ex.submit(() => Promise.reject(err)).result(), err);
});

Deno.test("Future.addDoneCallback() runs at once when done, later otherwise, and logs callback errors", async () => {
  using log = captureLog();
  const errors = log.errors;
  {
    await using ex = new AsyncPoolExecutor({ maxWorkers: 1 });
    const seen: string[] = [];
    const f = ex.submit(() => "v");
    f.addDoneCallback(function boom(): void {
      throw new Error("callback failed");
    });
    f.addDoneCallback((fut) => {
      seen.push(`late:${fut.done()}`);
    });
    assert.equal(seen.length, 0);
    await f;
    f.addDoneCallback(() => {
      seen.push("immediate");
    });
    assert.deepEqual(seen, ["late:true", "immediate"]);
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /boom/);
    assert.throws(() => f.addDoneCallback(3 as unknown as () => void), TypeError);
  }
});

Deno.test("Future.addDoneCallback() logs an async callback's rejection instead of leaving it unhandled", async () => {
  using log = captureLog();
  await using ex = new AsyncPoolExecutor({ maxWorkers: 1 });
  const f = ex.submit(() => Promise.resolve("v"));
  f.addDoneCallback(async function later(): Promise<void> {
    await null;
    throw new Error("async callback failed");
  });
  await f;
  f.addDoneCallback(function atOnce(): Promise<void> {
    return Promise.reject(new Error("async callback failed at once"));
  });
  // The test's sanitizer fails it on an unhandled rejection; let both rejections settle first.
  await new Promise((r) => setTimeout(r, 1));
  assert.equal(log.errors.length, 2);
  assert.match(log.errors[0]!, /later/);
  assert.match(log.errors[1]!, /atOnce/);
});

Deno.test("Future is awaitable and never raises an unhandled rejection by itself", async () => {
  const ex = new SynchronousExecutor();
  // A failed future nobody awaits: the test's sanitizers would catch an unhandled rejection.
  ex.submit(() => {
    throw new Error("ignored");
  });
  const f = ex.submit(() => Promise.reject(new Error("later")));
  await new Promise((r) => setTimeout(r, 1));
  const out = await f.then(() => "ok", (e) => (e as Error).message);
  assert.equal(out, "later");
});

Deno.test("Future.result(): a 'timeout' given as a string throws a TypeError naming it a string", () => {
  const f = new Future<number>();
  assert.throws(() => f.result({ timeout: "5" as unknown as number }), {
    name: "TypeError",
    message: "Cannot wait for future as 'timeout' must be a number >= 0: current value is string 5",
  });
  assert.throws(() => f.exception({ timeout: Number.NaN }), {
    name: "RangeError",
    message:
      "Cannot wait for future as 'timeout' must be a number >= 0: current value is number NaN",
  });
  assert.throws(() => f.result(null as never), {
    name: "TypeError",
    message: "Cannot wait for future as 'options' must be an object: current value is null",
  });
  assert.throws(() => f.addDoneCallback(null as unknown as () => void), {
    name: "TypeError",
    message: "Cannot add done callback as 'cb' must be a function: current value is null",
  });
  f.cancel();
});

Deno.test("Future.result({ timeout }) polled 200 000 times on a pending future leaves no garbage behind and its done callback still runs once", async () => {
  const fixture = new URL("./_fixtures/polled_future.ts", import.meta.url).pathname;
  const { code, stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--v8-flags=--expose-gc", fixture],
    stderr: "inherit",
  }).output();
  assert.equal(code, 0);
  const { growth, called } = JSON.parse(new TextDecoder().decode(stdout));
  // Before, each poll left a slot in the callback list: ~6 MB here, and quadratic time.
  assert.ok(growth < 2_000_000, `heap grew ${growth} bytes`);
  assert.equal(called, 1);
});
