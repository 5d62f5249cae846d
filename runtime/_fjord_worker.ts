// Every Web Worker fjord starts goes through spawnFjordWorker(), and its entry module begins with
// `await receiveFjordInit()`. The first message carries:
//  - the process-wide shared memory (named SharedArrayBuffers, e.g. the cross-Worker lock table),
//    so that every isolate fjord started sees the same buffers;
//  - the worker's isolate id (see below);
//  - the parent's backend type, so the worker runs on the same backend;
//  - the caller's own init data.
// Workers that start workers pass on what they adopted, so nesting keeps one shared table.
//
// Isolate ids. Every isolate fjord knows has an id from a process-wide registry in shared memory
// (the first isolate allocates its own on first use; a parent allocates its child's at spawn).
// The registry records each live id's parent, so the descendants of a worker are known. The
// cross-Worker lock table stores the owner id in each held slot; when a worker is terminated
// through terminateFjordWorker() or dies of an uncaught error, its id and its descendants' ids
// are freed and every slot they held is released, waking waiters. A slot whose owner id is no
// longer live is also taken over by the next acquirer (covers a dying thread that still ran a
// few instructions after the scan).
//
// Registry layout (Int32): [0] allocation counter, [1] high-water entry index, then CAPACITY
// entries of {id, parent}. id = generation * CAPACITY + index (the generation makes a reused
// index a different id), always < 2^30 so the lock table can use bit 30 as its waiters flag.
// Entry 0 is reserved for UNTRACKED: the id given when all entries are in use; it is always
// "live", so locks held by such an isolate are never recovered (the pre-registry behaviour).

// Only the selected type, not registry.ts: that would load every component into every Worker.
import { selectedBackendType, setSelectedBackendType } from "./selection.ts";
import type { BackendType } from "./backend_type.ts";

const INIT = "fjord:init";

interface InitMessage {
  kind: typeof INIT;
  shared: Record<string, SharedArrayBuffer>;
  id: number;
  backend: BackendType | undefined;
  data: unknown;
}

const buffers = new Map<string, SharedArrayBuffer>();

// Modules that keep per-isolate state in shared memory register here instead of being imported
// by the spawner: `beforeSpawn` runs before every Worker is created (create the buffers the child
// must share), `afterIsolatesFreed` after dead isolates left the registry (release what they held).
const beforeSpawnHooks = new Set<() => void>();
const freedHooks = new Set<() => void>();

/** Runs `hook` before each Worker is spawned (e.g. to create a buffer the child must share). */
export function onBeforeSpawn(hook: () => void): void {
  beforeSpawnHooks.add(hook);
}

/** Runs `hook` after isolates died and were freed (e.g. to release what they held). */
export function onIsolatesFreed(hook: () => void): void {
  freedHooks.add(hook);
}
let adopted = false;

/**
 * The process-wide SharedArrayBuffer named `key`: created on first use in the first isolate,
 * adopted from the parent in a worker fjord started.
 */
export function sharedBuffer(key: string, byteLength: number): SharedArrayBuffer {
  let buf = buffers.get(key);
  if (buf === undefined) {
    buf = new SharedArrayBuffer(byteLength);
    buffers.set(key, buf);
  }
  return buf;
}

const REGISTRY_KEY = "fjord.isolates";
const INDEX_BITS = 14;
const CAPACITY = 1 << INDEX_BITS;
const GENERATIONS = 65_535; // generation 1..65535: ids stay below 2^30
const COUNTER = 0;
const HIGH_WATER = 1;
const HEADER = 2;
const RESERVING = -1;
// The id of an isolate that got no registry entry (all in use): never considered dead.
const UNTRACKED_ISOLATE = CAPACITY;

let registryView: Int32Array | undefined;
let selfId = 0;
const workerIds = new WeakMap<Worker, number>();

function registry(): Int32Array {
  return registryView ??= new Int32Array(
    sharedBuffer(REGISTRY_KEY, (HEADER + 2 * CAPACITY) * 4),
  );
}

function allocateIsolate(parent: number): number {
  const r = registry();
  for (let i = 1; i < CAPACITY; i++) {
    const at = HEADER + 2 * i;
    if (Atomics.load(r, at) !== 0 || Atomics.compareExchange(r, at, 0, RESERVING) !== 0) continue;
    // Parent first, id last: a scan never sees a live id with a previous occupant's parent.
    Atomics.store(r, at + 1, parent);
    const id = (((Atomics.add(r, COUNTER, 1) >>> 0) % GENERATIONS) + 1) * CAPACITY + i;
    Atomics.store(r, at, id);
    for (let h = Atomics.load(r, HIGH_WATER); h < i + 1; h = Atomics.load(r, HIGH_WATER)) {
      Atomics.compareExchange(r, HIGH_WATER, h, i + 1);
    }
    return id;
  }
  return UNTRACKED_ISOLATE;
}

/** This isolate's id (allocated on first use in an isolate fjord did not start). */
export function isolateId(): number {
  if (selfId === 0) selfId = allocateIsolate(0);
  return selfId;
}

/**
 * Whether isolate `id` is still live: its registry entry holds it and so, up the chain, do its
 * ancestors' (a worker whose parent was terminated is gone too).
 */
export function isIsolateAlive(id: number): boolean {
  const r = registry();
  for (let depth = 0; id !== 0 && depth < CAPACITY; depth++) {
    const i = id % CAPACITY;
    if (i === 0) return true;
    const parent = Atomics.load(r, HEADER + 2 * i + 1);
    // Id checked after reading the parent: a parent read from a reused entry is never trusted.
    if (Atomics.load(r, HEADER + 2 * i) !== id) return false;
    id = parent;
  }
  return true;
}

// Frees the entries of `root`, of its descendants and of any orphan whose ancestor is gone.
function freeIsolateTree(root: number): void {
  const r = registry();
  const ri = root % CAPACITY;
  if (ri === 0 || Atomics.compareExchange(r, HEADER + 2 * ri, root, 0) !== root) return;
  const end = Atomics.load(r, HIGH_WATER);
  const dead: number[] = [];
  for (let i = 1; i < end; i++) {
    const id = Atomics.load(r, HEADER + 2 * i);
    if (id > 0 && !isIsolateAlive(id)) dead.push(i, id);
  }
  // Decide first, then free: freeing while scanning would not change the answer (a descendant's
  // chain is already broken at `root`), but keeps each decision about one consistent snapshot.
  for (let k = 0; k < dead.length; k += 2) {
    Atomics.compareExchange(r, HEADER + 2 * dead[k]!, dead[k + 1]!, 0);
  }
}

function releaseIsolateTree(id: number): void {
  freeIsolateTree(id);
  for (const hook of freedHooks) hook();
}

/** Options for {@linkcode spawnFjordWorker}. */
export interface SpawnFjordWorkerOptions {
  /** The Worker's name (shown in errors and the inspector). */
  name?: string;
  /** Structured-cloneable data handed to the worker's `receiveFjordInit()`. */
  data?: unknown;
}

/**
 * Starts a module Web Worker, gives it an isolate id and sends it fjord's init message. When the
 * worker dies of an uncaught error, the locks it and its descendants held are released before the
 * caller's own "error" listeners run (the event itself is left untouched).
 */
export function spawnFjordWorker(
  entry: URL | string,
  options: SpawnFjordWorkerOptions = {},
): Worker {
  // Shared buffers must exist before the spawn so that the child shares them.
  for (const hook of beforeSpawnHooks) hook();
  const id = allocateIsolate(isolateId());
  let worker: Worker;
  try {
    worker = new Worker(entry, {
      type: "module",
      ...(options.name !== undefined ? { name: options.name } : {}),
    });
  } catch (err) {
    releaseIsolateTree(id);
    throw err;
  }
  workerIds.set(worker, id);
  // Deno ends a worker after an uncaught error whether or not the parent handles the event; the
  // terminate() only makes sure it cannot run on after its locks were given away.
  worker.addEventListener("error", () => {
    if (workerIds.get(worker) !== id) return;
    workerIds.delete(worker);
    worker.terminate();
    releaseIsolateTree(id);
  });
  const message: InitMessage = {
    kind: INIT,
    shared: Object.fromEntries(buffers),
    id,
    backend: selectedBackendType(),
    data: options.data,
  };
  worker.postMessage(message);
  return worker;
}

/**
 * Terminates a worker from {@linkcode spawnFjordWorker} and releases every cross-Worker lock slot
 * it or any worker it started still held, waking their waiters. Idempotent; a Worker fjord did
 * not spawn is just terminated. Use it instead of `worker.terminate()`.
 */
export function terminateFjordWorker(worker: Worker): void {
  worker.terminate();
  const id = workerIds.get(worker);
  if (id === undefined) return;
  workerIds.delete(worker);
  releaseIsolateTree(id);
}

/** The isolate id of a worker from {@linkcode spawnFjordWorker} (undefined once terminated). */
export function fjordWorkerIsolateId(worker: Worker): number | undefined {
  return workerIds.get(worker);
}

/**
 * In a worker's entry module: waits for fjord's init message, adopts the shared memory, its
 * isolate id and the parent's backend, and returns the init data. Must be awaited before any
 * other message handling.
 */
export function receiveFjordInit<T = unknown>(): Promise<T> {
  return new Promise<T>((resolve) => {
    // `self` is typed as the main thread's Window; in a worker it is the worker scope.
    const onMessage = (event: Event): void => {
      const msg = (event as MessageEvent).data as InitMessage | undefined;
      if (msg?.kind !== INIT) return;
      self.removeEventListener("message", onMessage);
      event.stopImmediatePropagation();
      for (const [key, buf] of Object.entries(msg.shared)) buffers.set(key, buf);
      selfId = msg.id;
      adopted = true;
      if (msg.backend !== undefined && selectedBackendType() === undefined) {
        setSelectedBackendType(msg.backend);
      }
      resolve(msg.data as T);
    };
    self.addEventListener("message", onMessage);
  });
}

/** Whether this isolate is a Web Worker that fjord started (it has received fjord's init). */
export function isFjordWorker(): boolean {
  return adopted;
}
