// The FIFO queue of waiters shared by Mutex and ReaderWriterLock: an intrusive doubly-linked
// list (O(1) removal of a waiter that gives up) with the give-up wiring (signal, deadline).

import type { Clock } from "../runtime/clock.ts";
import { armGiveUp, type Deadline } from "./_give_up.ts";

/** A queued waiter; the queue owns the link and cleanup fields. */
export interface Waiter {
  next: Waiter | undefined;
  prev: Waiter | undefined;
  /** Disarms the give-up timer and abort listener, once granted or given up. */
  cleanup: (() => void) | undefined;
}

/** A FIFO of waiters `W`. */
export class WaitQueue<W extends Waiter> {
  #head: W | undefined = undefined;
  #tail: W | undefined = undefined;
  #size = 0;

  /** How many wait. */
  get size(): number {
    return this.#size;
  }

  /** The longest waiting, or `undefined`. */
  get head(): W | undefined {
    return this.#head;
  }

  /**
   * Appends `w`. When `signal` aborts or `deadline` passes on `clock` while `w` still waits, `w`
   * leaves the queue and `gaveUp(reason)` runs (reason: `signal.reason` or the TimeoutError).
   */
  push(
    w: W,
    signal: AbortSignal | undefined,
    deadline: Deadline | undefined,
    clock: Clock,
    gaveUp: (reason: unknown) => void,
  ): void {
    w.prev = this.#tail;
    w.next = undefined;
    if (this.#tail === undefined) this.#head = w;
    else this.#tail.next = w;
    this.#tail = w;
    this.#size++;
    if (signal === undefined && deadline === undefined) return;
    try {
      w.cleanup = armGiveUp(signal, deadline, clock, (reason) => {
        if (this.remove(w)) gaveUp(reason);
      });
    } catch (error) {
      // Not left queued: nothing could wake or remove it, and the lock would stay taken for good.
      this.remove(w);
      throw error;
    }
  }

  /** Takes `w` out of the queue and disarms its give-up; `false` when it was not queued. */
  remove(w: W): boolean {
    if (w.prev === undefined && this.#head !== w) return false;
    if (w.prev === undefined) this.#head = w.next as W | undefined;
    else w.prev.next = w.next;
    if (w.next === undefined) this.#tail = w.prev as W | undefined;
    else w.next.prev = w.prev;
    w.prev = w.next = undefined;
    this.#size--;
    w.cleanup?.();
    w.cleanup = undefined;
    return true;
  }
}
