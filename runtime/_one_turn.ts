// Yielding the isolate for one macrotask turn, for loops that would otherwise run on microtasks
// alone and starve everything else (timers, I/O, signal handlers, the code that would stop them).

/**
 * Yields one macrotask turn (a MessageChannel message, a few µs; a 0 ms setTimeout waits for
 * Deno's next millisecond timer tick), or rejects with `signal.reason` when aborted first.
 */
export function oneTurn(signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const { port1, port2 } = new MessageChannel();
    const finish = (): void => {
      signal?.removeEventListener("abort", onAbort);
      port1.close();
      port2.close();
    };
    const onAbort = (): void => {
      finish();
      reject(signal!.reason);
    };
    port1.onmessage = (): void => {
      finish();
      resolve();
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    port2.postMessage(null);
  });
}
