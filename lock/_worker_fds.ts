// The raw lock file fds that fjord Workers opened (see _raw_lock_file.ts), recorded in shared
// memory with their isolate's id: a Worker that fjord terminates, or that dies of an uncaught
// error, cannot close them, and an fd left open keeps its lock held for every process until this
// one exits. The isolate that frees dead isolates closes the fds they left.
//
// One BigInt64 word per fd, 0 = free, else owner id << 32 | fd: the owner and the isolate closing
// for a dead owner agree with one compareExchange, and whichever clears the word closes the fd,
// exactly once. Kept apart from _raw_lock_file.ts (which binds libc at import) so that every
// spawner of Workers can load it cheaply (see _spawn.ts).

import {
  isFjordWorker,
  isIsolateAlive,
  isolateId,
  onBeforeSpawn,
  onIsolatesFreed,
  sharedBuffer,
} from "../runtime/_fjord_worker.ts";

const KEY = "fjord.lock.fds";
const SLOTS = 1024;
let table: BigInt64Array | undefined;

function ensureFdTable(): BigInt64Array {
  return table ??= new BigInt64Array(sharedBuffer(KEY, SLOTS * 8));
}

/**
 * Records `fd`, just opened in this Worker; its slot, or -1 (not a fjord Worker, or the table
 * is full: then the fd is not recovered should the Worker be terminated holding it).
 */
export function recordWorkerFd(fd: number): number {
  if (!isFjordWorker()) return -1;
  const t = ensureFdTable();
  const word = (BigInt(isolateId()) << 32n) | BigInt(fd);
  for (let slot = 0; slot < SLOTS; slot++) {
    if (Atomics.compareExchange(t, slot, 0n, word) === 0n) return slot;
  }
  return -1;
}

/** Forgets `fd` before its owner closes it: `false` when it was already closed for the owner. */
export function forgetWorkerFd(slot: number, fd: number): boolean {
  const word = (BigInt(isolateId()) << 32n) | BigInt(fd);
  return Atomics.compareExchange(ensureFdTable(), slot, word, 0n) === word;
}

// Closes the fds that isolates no longer live left open, dropping the locks they held.
function closeFdsOfDeadIsolates(): void {
  const t = table;
  if (t === undefined) return;
  const fds: number[] = [];
  for (let slot = 0; slot < SLOTS; slot++) {
    const word = Atomics.load(t, slot);
    if (word === 0n || isIsolateAlive(Number(word >> 32n))) continue;
    if (Atomics.compareExchange(t, slot, word, 0n) === word) fds.push(Number(word & 0xffffffffn));
  }
  if (fds.length === 0) return;
  // The dead Worker opened them over FFI, so FFI is granted here too; libc is loaded only now.
  import("./_libc.ts").then(({ libc }) => {
    for (const fd of fds) libc().close(fd);
  }).catch(() => {
    // No libc here: nothing more can be done for these fds.
  });
}

// The table must exist before the first Worker is spawned so that every isolate shares it.
onBeforeSpawn(ensureFdTable);
onIsolatesFreed(closeFdsOfDeadIsolates);
