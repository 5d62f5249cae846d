// A delay that is not a timer. A process's first setTimeout or setInterval costs Deno 2.9 7-12 ms
// on the calling thread (10-17 ms in a Web Worker) while it sets up its timer machinery; a path
// that must stay fast on its first run (a launch, a respawn) bounds its waits with an
// Atomics.waitAsync timeout instead, which costs ~0.05 ms. Unlike a timer it does not keep the
// process alive: the caller holds something else that does.

/** A pending delay: `promise` resolves after `ms` or at once on `cancel()`. */
export interface QuietDelay {
  readonly promise: Promise<void>;
  cancel(): void;
}

/** Starts a delay of `ms` milliseconds that creates no timer. */
export function quietDelay(ms: number): QuietDelay {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const waiting = Atomics.waitAsync(cell, 0, 0, ms);
  return {
    promise: waiting.async ? waiting.value.then(() => {}) : Promise.resolve(),
    cancel: () => void Atomics.notify(cell, 0),
  };
}
