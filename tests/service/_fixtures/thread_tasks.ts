// Task modules for ThreadGroup TaskRef threads (run in a Web Worker on the threading backend, in
// the test's isolate on the cooperative one).

import { getBackendType } from "../../../backends/registry.ts";

export function add(a: number, b: number): number {
  return a + b;
}

/** Where the task ran, and on which backend, and whether it got a signal. */
export function whereAmI(_ctx: { signal: AbortSignal }): {
  worker: boolean;
  backend: string | undefined;
  gotSignal: boolean;
} {
  return {
    worker: "WorkerGlobalScope" in globalThis,
    backend: getBackendType(),
    gotSignal: _ctx?.signal instanceof AbortSignal,
  };
}

export class QuotaError extends Error {
  readonly code: number;
  constructor(message: string, code: number) {
    super(message);
    this.name = "QuotaError";
    this.code = code;
  }
}

export async function fail(message: string): Promise<never> {
  await Promise.resolve();
  throw new QuotaError(message, 429);
}

/** Runs until aborted (in-isolate) or terminated (Worker). */
export function untilStopped(ctx: { signal: AbortSignal }): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, 60_000);
    ctx.signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(ctx.signal.reason);
    }, { once: true });
  });
}

export function returnsFunction(): () => void {
  return () => {};
}

export const notAFunction = 7;

/** Increments `beats[0]` every 5 ms until aborted (in-isolate) or terminated (Worker). */
export function heartbeat(beats: Int32Array, ctx: { signal: AbortSignal }): Promise<void> {
  return new Promise((_resolve, reject) => {
    const timer = setInterval(() => Atomics.add(beats, 0, 1), 5);
    ctx.signal.addEventListener("abort", () => {
      clearInterval(timer);
      reject(ctx.signal.reason);
    }, { once: true });
  });
}
