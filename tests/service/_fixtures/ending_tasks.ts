// ThreadGroup TaskRef tasks that end their Web Worker instead of returning.

export function exitWorker(code: number): Promise<never> {
  setTimeout(() => Deno.exit(code), 10);
  return new Promise<never>(() => {});
}

export function closeWorker(): Promise<never> {
  setTimeout(() => (globalThis as unknown as { close(): void }).close(), 10);
  return new Promise<never>(() => {});
}

export function throwLater(): Promise<never> {
  setTimeout(() => {
    throw new TypeError("thrown in the thread's Worker");
  }, 10);
  return new Promise<never>(() => {});
}

export function rejectLater(): Promise<never> {
  setTimeout(() => void Promise.reject(new RangeError("rejected in the thread's Worker")), 10);
  return new Promise<never>(() => {});
}
