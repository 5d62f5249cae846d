// Cross-Worker exclusion for named internal locks in the threading backend.
//
// Design: one process-wide SharedArrayBuffer (handed to every Web Worker fjord starts, see
// backends/threading/_fjord_worker.ts) holds SLOTS Int32 lock words. A lock name hashes (FNV-1a)
// to a slot. Each word is a three-state futex mutex (Drepper, "Futexes are tricky"):
// 0 = free, 1 = held, 2 = held with (possible) waiters. Waiting uses Atomics.waitAsync, so no
// thread spins or blocks; the releaser notifies one waiter, and V8 wakes waiters of a word in
// the order they started waiting.
//
// Why not a ticket lock (strict FIFO across isolates): a taken ticket must eventually be served,
// so a waiter could not give up on timeout/abort without leaving something queued. With the
// futex word a waiter that gives up just stops waiting. Inside one isolate the per-name Mutex is
// strictly FIFO and only its head contends for the slot, so ordering is FIFO within an isolate
// and wake-order (FIFO unless a releaser re-acquires first) across isolates.
//
// Collisions: two names sharing a slot only over-exclude (they also exclude each other across
// isolates), never under-exclude. Within an isolate the slot is counted: if this isolate already
// holds a slot (for any name), another local holder joins without waiting, so nesting two
// colliding names in one task cannot self-deadlock; the slot is freed when the last local
// holder releases.

import { sharedBuffer } from "../backends/threading/_fjord_worker.ts";
import { timeoutError } from "./_mutex.ts";
import { type Clock, systemClock } from "../backends/clock.ts";

const KEY = "fjord.lock.table";
const SLOTS = 4096;
// Upper bound of one Atomics.waitAsync; a ref'd timer of the same length keeps the event loop
// alive while waiting (a pending waitAsync alone does not).
const WAIT_SLICE_MS = 1000;

let table: Int32Array | undefined;
const localHolds = new Int32Array(SLOTS);

/** Creates (or adopts) the shared lock table; called before any worker is spawned. */
export function ensureLockTable(): Int32Array {
  table ??= new Int32Array(sharedBuffer(KEY, SLOTS * 4));
  return table;
}

/** The slot a lock name maps to (FNV-1a over UTF-16 code units). */
export function slotOf(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % SLOTS;
}

/** Takes `slot` if this isolate holds it already or it is free; `false` otherwise. */
export function tryAcquireSlot(slot: number): boolean {
  if (localHolds[slot]! > 0) {
    localHolds[slot]!++;
    return true;
  }
  if (Atomics.compareExchange(ensureLockTable(), slot, 0, 1) === 0) {
    localHolds[slot] = 1;
    return true;
  }
  return false;
}

/**
 * Waits for `slot`; rejects with `signal.reason` on abort or a TimeoutError after `timeout` ms on
 * `clock`, leaving nothing held.
 */
export async function acquireSlot(
  slot: number,
  signal: AbortSignal | undefined,
  timeout: number | undefined,
  clock: Clock | undefined,
  what: string,
): Promise<void> {
  if (tryAcquireSlot(slot)) return;
  const t = ensureLockTable();
  const deadline = timeout !== undefined && clock !== undefined ? clock.now() + timeout : undefined;
  for (;;) {
    if (localHolds[slot]! > 0) {
      localHolds[slot]!++;
      return;
    }
    // Mark the word contended (2) and take it if it was free meanwhile.
    if (Atomics.exchange(t, slot, 2) === 0) {
      localHolds[slot] = 1;
      return;
    }
    if (signal?.aborted) throw signal.reason;
    let slice = WAIT_SLICE_MS;
    if (deadline !== undefined) {
      const left = deadline - clock!.now();
      if (left <= 0) throw timeoutError(what, timeout!);
      slice = Math.min(slice, left);
    }
    await waitWord(
      t,
      slot,
      slice,
      signal,
      deadline === undefined || clock === systemClock ? undefined : clock,
    );
  }
}

async function waitWord(
  t: Int32Array,
  slot: number,
  ms: number,
  signal: AbortSignal | undefined,
  clock: Clock | undefined,
): Promise<void> {
  const r = Atomics.waitAsync(t, slot, 2, ms);
  if (!r.async) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  let fake: AbortController | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      r.value.then(() => resolve());
      timer = setTimeout(resolve, ms);
      if (clock !== undefined) {
        // A test clock's deadline must be observable without real time passing.
        fake = new AbortController();
        clock.sleep(ms, { signal: fake.signal }).then(() => resolve(), () => {});
      }
      if (signal !== undefined) {
        onAbort = () => reject(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
      }
    });
  } finally {
    clearTimeout(timer);
    fake?.abort();
    if (onAbort !== undefined) signal!.removeEventListener("abort", onAbort);
  }
}

/** Releases one local hold of `slot`; the last local hold frees the word and wakes one waiter. */
export function releaseSlot(slot: number): void {
  if (--localHolds[slot]! > 0) return;
  const t = ensureLockTable();
  if (Atomics.sub(t, slot, 1) !== 1) {
    Atomics.store(t, slot, 0);
    Atomics.notify(t, slot, 1);
  }
}
