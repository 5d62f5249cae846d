// Waiting on network work that an AbortSignal may cut short, without leaking what arrives late.

/** A promise that rejects with `signal.reason` on abort, and a function to detach it. */
export function abortPromise(signal: AbortSignal): { promise: Promise<never>; detach: () => void } {
  let detach = (): void => {};
  const promise = new Promise<never>((_, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    detach = () => signal.removeEventListener("abort", onAbort);
  });
  promise.catch(() => {});
  return { promise, detach };
}

/**
 * Connects with `open(signal)` unless `signal` aborts first. `open` should cancel its connect on
 * the signal (a connect to an unreachable host can hang for minutes, and its pending op keeps
 * the process alive); one that arrives after the abort anyway is closed, not leaked.
 */
export async function openUnlessAborted<C extends { close(): void }>(
  open: (signal: AbortSignal) => Promise<C>,
  signal: AbortSignal,
): Promise<C> {
  signal.throwIfAborted();
  const opening = open(signal);
  const aborted = abortPromise(signal);
  try {
    return await Promise.race([opening, aborted.promise]);
  } catch (error) {
    opening.then((c) => c.close(), () => {});
    throw error;
  } finally {
    aborted.detach();
  }
}
