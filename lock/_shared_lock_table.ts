// Cross-Worker exclusion for named internal locks in the threading backend.
//
// Design: one process-wide SharedArrayBuffer (handed to every Web Worker fjord starts, see
// backends/threading/_fjord_worker.ts) holds SLOTS Int32 lock words. A lock name hashes (FNV-1a)
// to a slot. Each word is a futex mutex (after Drepper, "Futexes are tricky") that also records
// its owner: 0 = free, else the holding isolate's id (< 2^30), plus WAITERS (bit 30) once some
// isolate waits. Waiting uses Atomics.waitAsync, so no thread spins or blocks; the releaser
// notifies one waiter, and V8 wakes waiters of a word in the order they started waiting.
//
// Owner ids make the table robust (like a robust process-shared mutex): when a worker is
// terminated through terminateFjordWorker() or dies of an uncaught error, its isolate id (and its
// descendants') leave the registry and releaseSlotsOfDeadIsolates() frees their slots at once,
// waking a waiter. An acquirer that still finds a slot owned by an id that is no longer live
// takes it over (a dying thread may run a few instructions after terminate()); a release only
// clears a word it still owns.
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

import {
  isIsolateAlive,
  isolateId,
  onBeforeSpawn,
  onIsolatesFreed,
  sharedBuffer,
} from "../runtime/_fjord_worker.ts";
import { type Deadline, msLeft } from "./_mutex.ts";
import { type Clock, systemClock } from "../runtime/clock.ts";

const KEY = "fjord.lock.table";
const SLOTS = 4096;
// Upper bound of one Atomics.waitAsync; a ref'd timer of the same length keeps the event loop
// alive while waiting (a pending waitAsync alone does not).
const WAIT_SLICE_MS = 1000;

const WAITERS = 1 << 30;
const OWNER = WAITERS - 1;

let table: Int32Array | undefined;
// This isolate's id, the value its held words carry (set with the table).
let me = 0;
const localHolds = new Int32Array(SLOTS);

/** Creates (or adopts) the shared lock table; called before any worker is spawned. */
export function ensureLockTable(): Int32Array {
  if (table === undefined) {
    table = new Int32Array(sharedBuffer(KEY, SLOTS * 4));
    me = isolateId();
  }
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
  const t = ensureLockTable();
  if (Atomics.compareExchange(t, slot, 0, me) === 0 || claim(t, slot, 0)) {
    localHolds[slot] = 1;
    return true;
  }
  return false;
}

// Takes the word if it is free or its owner is no longer live (keeping WAITERS set, and setting
// it when `mark` is WAITERS). `false` while a live isolate holds it.
function claim(t: Int32Array, slot: number, mark: number): boolean {
  for (;;) {
    const v = Atomics.load(t, slot);
    if (v !== 0 && isIsolateAlive(v & OWNER)) return false;
    if (Atomics.compareExchange(t, slot, v, me | mark | (v & WAITERS)) === v) return true;
  }
}

/**
 * Waits for `slot`; rejects with `signal.reason` on abort or a TimeoutError once `deadline`
 * passes on `clock`, leaving nothing held.
 */
export async function acquireSlot(
  slot: number,
  signal: AbortSignal | undefined,
  deadline: Deadline | undefined,
  clock: Clock,
): Promise<void> {
  if (tryAcquireSlot(slot)) return;
  const t = ensureLockTable();
  let waited = false;
  try {
    for (;;) {
      if (localHolds[slot]! > 0) {
        localHolds[slot]!++;
        return;
      }
      // Having waited, take the word marked contended: other waiters may still sleep on it.
      if (claim(t, slot, WAITERS)) {
        localHolds[slot] = 1;
        return;
      }
      const v = Atomics.load(t, slot);
      if (v === 0) continue;
      if ((v & WAITERS) === 0 && Atomics.compareExchange(t, slot, v, v | WAITERS) !== v) continue;
      if (signal?.aborted) throw signal.reason;
      const slice = deadline === undefined
        ? WAIT_SLICE_MS
        : Math.min(WAIT_SLICE_MS, msLeft(deadline, clock));
      waited = true;
      await waitWord(
        t,
        slot,
        v | WAITERS,
        slice,
        signal,
        deadline === undefined || clock === systemClock ? undefined : clock,
      );
    }
  } catch (err) {
    // The release that woke us may have been meant for us alone: pass it on.
    if (waited) Atomics.notify(t, slot, 1);
    throw err;
  }
}

async function waitWord(
  t: Int32Array,
  slot: number,
  expected: number,
  ms: number,
  signal: AbortSignal | undefined,
  clock: Clock | undefined,
): Promise<void> {
  const r = Atomics.waitAsync(t, slot, expected, ms);
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
  const t = table!;
  const v = Atomics.compareExchange(t, slot, me, 0);
  // Anything but `me | WAITERS` means another isolate took the word over: nothing to release.
  if (v === (me | WAITERS) && Atomics.compareExchange(t, slot, v, 0) === v) {
    Atomics.notify(t, slot, 1);
  }
}

/** Frees every slot held by an isolate that is no longer live, waking one waiter of each. */
export function releaseSlotsOfDeadIsolates(): void {
  const t = ensureLockTable();
  for (let slot = 0; slot < SLOTS; slot++) {
    const v = Atomics.load(t, slot);
    if (v === 0 || isIsolateAlive(v & OWNER)) continue;
    if (Atomics.compareExchange(t, slot, v, 0) === v && (v & WAITERS) !== 0) {
      Atomics.notify(t, slot, 1);
    }
  }
}

// The table must exist before the first Worker is spawned so that every isolate shares it, and
// slots held by dead isolates are released as soon as the spawner frees them.
onBeforeSpawn(ensureLockTable);
onIsolatesFreed(releaseSlotsOfDeadIsolates);
