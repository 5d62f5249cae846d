// Test helpers for tests/futures (not collected: no _test suffix).

import assert from "node:assert/strict";
import type { BaseExecutor, TaskRef } from "../../futures/mod.ts";

/** The largest number of [start, end] intervals that overlap at one moment. */
export function maxOverlap(intervals: [number, number][]): number {
  const points = intervals.flatMap(([s, e]) => [[s, 1], [e, -1]] as [number, number][]);
  // At equal times an end comes before a start: touching intervals do not overlap.
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let peak = 0;
  for (const [, d] of points) peak = Math.max(peak, now += d);
  return peak;
}

/** Runs a fixture program; returns its exit code and its stdout's JSON line. */
export async function runFixture(
  name: string,
  args: string[],
  timeoutMs = 60_000,
): Promise<{ code: number; json: Record<string, unknown>; stderr: string }> {
  const script = new URL(`./_fixtures/${name}`, import.meta.url);
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-run",
      "--allow-env",
      "--quiet",
      script.pathname,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  const stderr = new TextDecoder().decode(out.stderr);
  return { code: out.code, json: text === "" ? {} : JSON.parse(text), stderr };
}

/**
 * Whether process `pid` exists (signal 0 is not offered by Deno.kill, and reading /proc needs
 * --allow-all: SIGCONT is harmless to a running process and fails once it is gone and reaped).
 */
export function isAlive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

/** Polls `cond` every 20 ms until it holds or `ms` pass; returns whether it held. */
export async function waitUntil(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/**
 * The timeout scenarios of a one-worker pool whose tasks travel in batches (a few tasks sent to
 * the worker at once): each task's timeout must count its own run, not its batch-mates'.
 * `ref(name)` names a task of tests/futures/_fixtures/tasks.ts.
 */
export async function checkBatchedTimeouts(
  ex: BaseExecutor,
  ref: (name: string) => TaskRef,
): Promise<void> {
  // Both functions loaded in the worker and a first result in: the next submissions are
  // pipelined into one batch.
  assert.equal(await ex.submit(ref("add"), 1, 2), 3);
  await ex.submit(ref("spin"), 0);

  // A 50 ms task with a 500 ms timeout, batched with a 1.5 s task: it finished long before its
  // timeout, so it must succeed (not fail, killing the worker and running the other task again).
  const quick = ex.submitWith({ timeout: 500 }, ref("spin"), 50);
  const slow = ex.submit(ref("spin"), 1_500);
  const last = ex.submit(ref("add"), 2, 2);
  assert.equal(await quick.exception(), undefined);
  assert.ok(quick.done() && !slow.done(), "the quick task is answered while the slow one runs");
  await slow;
  assert.equal(await last, 4);

  // A 300 ms timeout on a 1.5 s task batched behind an instant one: it must time out, and the
  // instant one must be answered before.
  const instant = ex.submit(ref("add"), 1, 1);
  const timed = ex.submitWith({ timeout: 300 }, ref("spin"), 1_500);
  const after = [ex.submit(ref("add"), 3, 3), ex.submit(ref("add"), 4, 4)];
  assert.equal(await instant, 2);
  assert.ok(!timed.done(), "the instant task is answered while the timed one runs");
  const err = await timed.exception() as DOMException;
  assert.equal(err?.name, "TimeoutError");
  assert.deepEqual(await Promise.all(after), [6, 8]);
}

/**
 * A task with a signal, aborted while a one-worker pool is busy with another task (and more are
 * waiting, so the pool pipelines), must never run: its future rejects and its side effect never
 * happens. `ref(name)` names a task of tests/futures/_fixtures/tasks.ts.
 */
export async function checkAbortedBeforeStartNeverRuns(
  ex: BaseExecutor,
  ref: (name: string) => TaskRef,
): Promise<void> {
  await ex.submit(ref("spin"), 0); // a first result in: the next submissions are pipelined
  const dir = await Deno.makeTempDir();
  try {
    const marker = `${dir}/ran`;
    const stop = new AbortController();
    const busy = ex.submit(ref("spin"), 1_000);
    const victim = ex.submitWith({ signal: stop.signal }, ref("touch"), marker);
    const more = [ex.submit(ref("add"), 1, 1), ex.submit(ref("add"), 2, 2)];
    // A turn later every submission has been handed to the pool; the busy task spins on.
    await new Promise((r) => setTimeout(r, 0));
    stop.abort();
    assert.equal((await victim.exception() as DOMException)?.name, "AbortError");
    await busy;
    assert.deepEqual(await Promise.all(more), [2, 4]);
    // Later tasks with a signal still run.
    assert.equal(
      await ex.submitWith({ signal: new AbortController().signal }, ref("add"), 5, 5),
      10,
    );
    await assert.rejects(Deno.stat(marker), Deno.errors.NotFound, "the aborted task ran");

    // A task with a signal waiting for the worker, whose task then times out (the worker is
    // stopped), runs on its replacement. Many tiny tasks first: the pool then sends tasks far
    // ahead, so both below leave the queue at once (the waiting one is held by the pool).
    await Promise.all(Array.from({ length: 64 }, (_, i) => ex.submit(ref("add"), i, 0)));
    const timedOut = ex.submitWith({ timeout: 200 }, ref("spin"), 2_000);
    const waiting = ex.submitWith({ signal: new AbortController().signal }, ref("add"), 3, 4);
    assert.equal((await timedOut.exception() as DOMException)?.name, "TimeoutError");
    // Bounded: a waiting task that never runs rejects with TimeoutError instead of hanging.
    assert.equal(await waiting.result({ timeout: 20_000 }), 7);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
