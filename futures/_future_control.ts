// The settling side of a Future, kept out of the public surface: only executors (and the
// waiters) drive a future's state. future.ts installs the implementation from a static block,
// so anything importing this module must also import future.ts (every user creates Futures).

import type { Future } from "./future.ts";

/** What an executor may do to a future it created. */
export interface FutureInternals {
  /** PENDING → RUNNING; `false` when the future was cancelled (then it must not run). */
  setRunning(future: Future<unknown>): boolean;
  /** PENDING and handed to a worker: not cancellable any more; `false` when not pending. */
  claim(future: Future<unknown>): boolean;
  /** Cancellable again: a claimed future that waits in the pool, sent to no worker yet. */
  unclaim(future: Future<unknown>): void;
  /** Settles as cancelled whatever the state (a running task stopped by shutdown's timeout). */
  forceCancel(future: Future<unknown>): void;
  /** Settles with a value (no-op once done). */
  setResult<T>(future: Future<T>, value: T): void;
  /** Settles with a failure (no-op once done). */
  setException(future: Future<unknown>, error: unknown): void;
  /** Whether the future settled with a failure. */
  failed(future: Future<unknown>): boolean;
  /** Registers a done callback that can be removed again (used by the waiters). */
  onDone(future: Future<unknown>, cb: () => void): () => void;
  /** Sets the owner's hook called when the future is cancelled (before done callbacks). */
  onCancel(future: Future<unknown>, cb: (future: Future<unknown>) => void): void;
}

export const futureInternals: FutureInternals = {} as FutureInternals;
