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
 * Connects with `open()` unless `signal` aborts first. A connection that arrives after the abort
 * is closed, not leaked (a connect to an unreachable host can hang for long).
 */
export async function openUnlessAborted<C extends { close(): void }>(
  open: () => Promise<C>,
  signal: AbortSignal,
): Promise<C> {
  signal.throwIfAborted();
  const opening = open();
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
