// Giving up a wait: the deadline shared by one lock call's steps, and the wiring that rejects a
// waiter when its signal aborts or its deadline passes.

import type { Clock } from "../runtime/clock.ts";

/** The TimeoutError every lock wait rejects with when its `timeout` passes. */
export function timeoutError(what: string, timeout: number): DOMException {
  return new DOMException(`Timed out after ${timeout} ms waiting for ${what}`, "TimeoutError");
}

/**
 * A wait's absolute deadline on its clock: one `lock()` call's steps (mutex, cross-Worker slot,
 * file) share it, and a step that runs out reports the caller's `timeout` and lock.
 */
export interface Deadline {
  /** `clock.now()` value at which the wait gives up. */
  at: number;
  /** The caller's timeout (ms), for the error message. */
  timeout: number;
  /** What is being waited for, for the error message. */
  what: string;
}

/** The deadline `timeout` ms from now on `clock`, or `undefined` without a timeout. */
export function deadlineOf(
  timeout: number | undefined,
  clock: Clock,
  what: string,
): Deadline | undefined {
  return timeout === undefined ? undefined : { at: clock.now() + timeout, timeout, what };
}

/** Milliseconds left before `d` (>= 0); throws its TimeoutError when none are left. */
export function msLeft(d: Deadline, clock: Clock): number {
  const left = d.at - clock.now();
  if (left <= 0) throw timeoutError(d.what, d.timeout);
  return left;
}

/**
 * Calls `giveUp` with `signal.reason` when the signal aborts, or with the TimeoutError of
 * `deadline` when it passes on `clock`. Returns the function that disarms both (a waiter granted first).
 */
export function armGiveUp(
  signal: AbortSignal | undefined,
  deadline: Deadline | undefined,
  clock: Clock,
  giveUp: (reason: unknown) => void,
): () => void {
  const onAbort = (): void => giveUp(signal!.reason);
  let timer: AbortController | undefined;
  if (deadline !== undefined) {
    timer = new AbortController();
    clock.sleep(deadline.at - clock.now(), { signal: timer.signal }).then(
      () => giveUp(timeoutError(deadline.what, deadline.timeout)),
      () => {},
    );
  }
  signal?.addEventListener("abort", onAbort, { once: true });
  return () => {
    signal?.removeEventListener("abort", onAbort);
    timer?.abort();
  };
}
