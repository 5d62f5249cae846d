// Task module the pool tests run in Web Workers and child processes.

import { transfer, type Transferred } from "../../../futures/mod.ts";

export function add(a: number, b: number): number {
  return a + b;
}

export function echo<T>(value: T): T {
  return value;
}

export async function sleepThen<T>(ms: number, value: T): Promise<T> {
  await new Promise((r) => setTimeout(r, ms));
  return value;
}

export function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

export class QuotaError extends Error {
  quota: number;
  constructor(quota: number) {
    super(`over quota ${quota}`);
    this.name = "QuotaError";
    this.quota = quota;
  }
}

export function throwQuota(quota: number): never {
  throw new QuotaError(quota);
}

export async function rejectAsync(message: string): Promise<never> {
  await Promise.resolve();
  throw new TypeError(message);
}

export function throwString(): never {
  throw "plain string";
}

export function returnFunction(): () => void {
  return () => {};
}

/** Kills the Web Worker it runs in (after a short delay so other tasks are pipelined). */
export function closeWorker(): void {
  (self as unknown as { close(): void }).close();
}

export function exitProcess(code: number): void {
  Deno.exit(code);
}

export function uncaughtLater(): string {
  setTimeout(() => {
    throw new Error("stray error");
  }, 0);
  return "returned";
}

export function logToStdout(value: string): string {
  // deno-lint-ignore no-console
  console.log("noise from a task", value);
  return value;
}

/** Busy-waits `ms`: a CPU-bound task that blocks its isolate. */
export function spin(ms: number): number {
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) n++;
  return n;
}

/** Writes "ran" to `path`: a side effect a test can look for. */
export function touch(path: string): void {
  Deno.writeTextFileSync(path, "ran");
}

export function isolateId(): string {
  const g = globalThis as unknown as { __fjordTestId?: string };
  g.__fjordTestId ??= crypto.randomUUID();
  return g.__fjordTestId;
}

export const notAFunction = 42;

/**
 * Waits (blocking its isolate, up to 10 s) until `parties` tasks have arrived, then returns this
 * isolate's id: it completes only if the tasks run at the same time in different isolates.
 */
export function rendezvous(counter: SharedArrayBuffer, parties: number): string {
  const cell = new Int32Array(counter);
  Atomics.add(cell, 0, 1);
  Atomics.notify(cell, 0);
  const deadline = Date.now() + 10_000;
  for (let seen = Atomics.load(cell, 0); seen < parties; seen = Atomics.load(cell, 0)) {
    if (Date.now() > deadline) throw new Error(`only ${seen} of ${parties} tasks arrived`);
    Atomics.wait(cell, 0, seen, 100);
  }
  return isolateId();
}

export function pid(): number {
  return Deno.pid;
}

/** SIGKILLs its own process: no chance to report anything. */
export function killSelf(): void {
  Deno.kill(Deno.pid, "SIGKILL");
}

/** Doubles every byte in place and moves the buffer back (no copy). */
export function doubleBytes(buf: ArrayBuffer): Transferred<ArrayBuffer> {
  const view = new Uint8Array(buf);
  for (let i = 0; i < view.length; i++) view[i]! *= 2;
  return transfer(buf, [buf]);
}

/** Never settles: a hung async task. */
export function hang(): Promise<never> {
  return new Promise(() => {});
}

/** Sleeps `ms` (asynchronously) and returns when it ran: [start, end] in epoch ms. */
export async function window(ms: number): Promise<[number, number]> {
  const start = performance.timeOrigin + performance.now();
  await new Promise((r) => setTimeout(r, ms));
  return [start, performance.timeOrigin + performance.now()];
}

/** Writes this process's pid to `path`, then sleeps `ms`. */
export async function pidThenSleep(path: string, ms: number): Promise<number> {
  await Deno.writeTextFile(path, String(Deno.pid));
  await new Promise((r) => setTimeout(r, ms));
  return Deno.pid;
}

/** Writes this process's pid to `<dir>/<pid>`, then never ends: busy ("spin") or idle. */
export function pidThenHang(dir: string, how: string): Promise<never> {
  Deno.writeTextFileSync(`${dir}/${Deno.pid}`, "");
  if (how === "spin") { for (;;) spin(1000); }
  return hang();
}

/** Posts its own messages to the parent, as a Web Worker's code can: fjord's protocol aside. */
export function postOwnMessages(shape: string): string {
  const post = (globalThis as unknown as { postMessage(m: unknown): void }).postMessage;
  // A stray value, and one shaped like fjord's envelope ([kind, body]) whose body is not its.
  post(shape === "envelope" ? [0, { t: "res", b: null }] : { progress: 50 });
  return "posted";
}

/** Closes the process's stdout, as Deno sees it (fjord's channel to the parent), and returns. */
export function closeStdout(): string {
  Deno.stdout.close();
  return "closed";
}

/** Where a typed-array argument's bytes live in the worker: [byteOffset, buffer byteLength]. */
export function viewFacts(bytes: Uint8Array): [number, number] {
  return [bytes.byteOffset, bytes.buffer.byteLength];
}

/**
 * Appends a line to `path`, then throws an Error with an enumerable getter that throws: a value
 * the error transfer cannot read whole.
 */
export function throwUnreadable(path: string): never {
  Deno.writeTextFileSync(path, "ran\n", { append: true });
  const err = new Error("charged the card, then failed");
  Object.defineProperty(err, "detail", {
    enumerable: true,
    get(): never {
      throw new Error("getter broke");
    },
  });
  throw err;
}
