import assert from "node:assert/strict";
import { FakeClock } from "../../backends/mod.ts";
import { AsyncPoolExecutor, Future, waitForAll, waitForAny } from "../../futures/mod.ts";

Deno.test("waitForAny() resolves when the first future is done", async () => {
  await using ex = new AsyncPoolExecutor({ maxWorkers: 2 });
  const { promise, resolve } = Promise.withResolvers<void>();
  const slow = ex.submit(() => promise);
  const fast = ex.submit(() => Promise.resolve(1));
  const { done, notDone } = await waitForAny([slow, fast]);
  assert.deepEqual([...done], [fast]);
  assert.deepEqual([...notDone], [slow]);
  resolve();
  await slow;
});

Deno.test("waitForAny() counts a cancelled future as done and returns at once for done input", async () => {
  const pending = new Future<number>();
  const cancelled = new Future<number>();
  const waiting = waitForAny([pending, cancelled]);
  cancelled.cancel();
  const { done } = await waiting;
  assert.ok(done.has(cancelled));
  const again = await waitForAny([pending, cancelled]);
  assert.equal(again.done.size, 1);
  pending.cancel();
});

Deno.test("waitForAll() waits for every future", async () => {
  await using ex = new AsyncPoolExecutor({ maxWorkers: 1 });
  const fs = [3, 1, 2].map((ms) => ex.submit(() => new Promise((r) => setTimeout(r, ms))));
  const { done, notDone } = await waitForAll(fs);
  assert.equal(done.size, 3);
  assert.equal(notDone.size, 0);
});

Deno.test("waitForAll({timeout}) returns the partition instead of throwing", async () => {
  using clock = new FakeClock();
  const never = new Future<void>();
  const doneF = new Future<void>();
  doneF.cancel();
  const waiting = waitForAll([never, doneF], { timeout: 100, clock });
  await clock.tickAsync(100);
  const { done, notDone } = await waiting;
  assert.deepEqual([...done], [doneF]);
  assert.deepEqual([...notDone], [never]);
  const anyWait = waitForAny([never], { timeout: 10, clock });
  await clock.tickAsync(10);
  assert.equal((await anyWait).notDone.size, 1);
  never.cancel();
});

Deno.test("waitForAny() and waitForAll() handle empty input, bad timeouts and abort", async () => {
  assert.deepEqual(await waitForAny([]), { done: new Set(), notDone: new Set() });
  assert.deepEqual(await waitForAll([]), { done: new Set(), notDone: new Set() });
  assert.throws(() => waitForAll([new Future()], { timeout: -5 }), RangeError);
  const f = new Future();
  const ctl = new AbortController();
  const waiting = waitForAll([f], { signal: ctl.signal });
  ctl.abort(new Error("stop waiting"));
  await assert.rejects(waiting, /stop waiting/);
  f.cancel();
});

Deno.test("waitForAny() and waitForAll() throw at the call for a non-iterable or a non-future, naming 'fs'", () => {
  // API.md: "a call that cannot start (bad argument …) throws synchronously"; they rejected.
  for (const wait of [waitForAny, waitForAll]) {
    for (const bad of [5, null, undefined, [new Future(), 1], "ab"]) {
      assert.throws(() => wait(bad as never), {
        name: "TypeError",
        message: /'fs' must be an iterable of futures/,
      });
    }
    assert.throws(() => wait([], null as never), {
      name: "TypeError",
      message: /'options' must be an object: current value is null/,
    });
  }
});

Deno.test("waitForAll: bad arguments are described by type, not by String() ('[null]' read as nothing)", () => {
  assert.throws(() => waitForAll([null] as unknown as Future<unknown>[]), {
    name: "TypeError",
    message:
      "Cannot wait for all as 'fs' must be an iterable of futures: current value is an instance of Array",
  });
  assert.throws(() => waitForAny([new Future()], { timeout: "5" as unknown as number }), {
    name: "TypeError",
    message: /'timeout' must be a number >= 0: current value is string 5$/,
  });
  assert.throws(() => waitForAny([new Future()], { timeout: -1 }), {
    name: "RangeError",
    message: /'timeout' must be a number >= 0: current value is number -1$/,
  });
});

Deno.test("waitForAll(), waitForAny() and Future.result() throw for a non-signal 'signal' with a TypeError naming it", () => {
  const future = new Future<number>();
  const signal = { aborted: false } as unknown as AbortSignal;
  assert.throws(() => waitForAll([future], { signal }), {
    name: "TypeError",
    message:
      "Cannot wait for all as 'signal' must be an AbortSignal: current value is an instance of Object",
  });
  assert.throws(() => waitForAny([future], { signal }), {
    name: "TypeError",
    message: /'signal'/,
  });
  assert.throws(() => future.result({ signal }), {
    name: "TypeError",
    message: /^Cannot wait for future as 'signal' must be an AbortSignal/,
  });
});
