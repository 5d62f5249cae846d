// Type-level tests: a wrong argument or result type for a typed task fails `deno check` (each
// `@ts-expect-error` below fails the check if the line it marks type-checks), and the calls run.
import assert from "node:assert/strict";
import type { TaskRef } from "../../runtime/task_ref.ts";
import {
  AsyncPoolExecutor,
  type Future,
  SynchronousExecutor,
  transfer,
  WorkerPoolExecutor,
} from "../../futures/mod.ts";
import type * as Tasks from "./_fixtures/tasks.ts";

const TASKS = new URL("./_fixtures/tasks.ts", import.meta.url);
const add: TaskRef<typeof Tasks.add> = { module: TASKS, export: "add" };
const sleepThen: TaskRef<typeof Tasks.sleepThen<string>> = { module: TASKS, export: "sleepThen" };
const untyped: TaskRef = { module: TASKS, export: "add" };

Deno.test("submit() checks a typed TaskRef's arguments and types its result", async () => {
  await using ex = new WorkerPoolExecutor({ maxWorkers: 1 });
  const sum: Future<number> = ex.submit(add, 1, 2);
  assert.equal(await sum, 3);
  const slept: string = await ex.submit(sleepThen, 1, "s");
  assert.equal(slept, "s");
  // @ts-expect-error a string where the task takes a number
  ex.submit(add, 1, "2").cancel();
  // @ts-expect-error a missing argument
  ex.submit(add, 1).cancel();
  // @ts-expect-error the result is a number, not a string
  const wrong: Future<string> = ex.submit(add, 1, 2);
  assert.equal(await wrong, 3);
  // @ts-expect-error an explicit result type that contradicts the task's
  ex.submit<string>(add, 1, 2).cancel();
});

Deno.test("submitWith() and map() check typed tasks too", async () => {
  await using ex = new WorkerPoolExecutor({ maxWorkers: 1 });
  assert.equal(await ex.submitWith({ timeout: 10_000 }, add, 2, 2), 4);
  // @ts-expect-error a string where the task takes a number
  ex.submitWith({}, add, "2", 2).cancel();
  const square: TaskRef<(n: number) => number> = { module: TASKS, export: "fib" };
  const out: number[] = [];
  for await (const v of ex.map(square, [1, 2, 3])) out.push(v);
  assert.deepEqual(out, [1, 1, 2]);
  // @ts-expect-error items must be numbers
  ex.map(square, ["1"]);
});

Deno.test("submit() checks plain functions' arguments and results", async () => {
  const ex = new SynchronousExecutor();
  const n: Future<number> = ex.submit((a: number, b: number) => a * b, 6, 7);
  assert.equal(await n, 42);
  const s: Future<string> = ex.submit((x: string) => Promise.resolve(x.toUpperCase()), "a");
  assert.equal(await s, "A");
  // @ts-expect-error a number where the function takes a string
  ex.submit((x: string) => x, 1);
  // @ts-expect-error the result is a number
  const bad: Future<string> = ex.submit((a: number) => a, 1);
  assert.equal(await bad, 1);
  // transfer() may wrap any argument; a transferred result is unwrapped.
  await using pool = new AsyncPoolExecutor();
  const buf = new ArrayBuffer(4);
  const len: Future<number> = pool.submit((b: ArrayBuffer) => b.byteLength, transfer(buf, [buf]));
  assert.equal(await len, 4);
});

Deno.test("untyped TaskRefs take any arguments; submit<R>() names their result type", async () => {
  await using ex = new WorkerPoolExecutor({ maxWorkers: 1 });
  const r: Future<unknown> = ex.submit(untyped, 1, 2);
  assert.equal(await r, 3);
  const typed: number = await ex.submit<number>(untyped, 2, 2);
  assert.equal(typed, 4);
  // A plain { module, export } literal is a TaskRef.
  assert.equal(await ex.submit<number>({ module: TASKS, export: "add" }, 1, 1), 2);
  // @ts-expect-error an untyped TaskRef's result is unknown until named
  const n: Future<number> = ex.submit(untyped, 1, 2);
  assert.equal(await n, 3);
});
