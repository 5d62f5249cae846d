// Every Web Worker fjord starts goes through spawnFjordWorker(), and its entry module begins with
// `await receiveFjordInit()`. The first message carries:
//  - the process-wide shared memory (named SharedArrayBuffers, e.g. the cross-Worker lock table),
//    so that every isolate fjord started sees the same buffers;
//  - the parent's backend type, so the worker runs on the same backend;
//  - the caller's own init data.
// Workers that start workers pass on what they adopted, so nesting keeps one shared table.

import { getBackendType, initBackend } from "../registry.ts";
import type { BackendType } from "../backend_type.ts";
import { ensureLockTable } from "../../lock/_shared_lock_table.ts";

const INIT = "fjord:init";

interface InitMessage {
  kind: typeof INIT;
  shared: Record<string, SharedArrayBuffer>;
  backend: BackendType | undefined;
  data: unknown;
}

const buffers = new Map<string, SharedArrayBuffer>();
let adopted = false;
const ensureHooks: (() => void)[] = [];

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

/**
 * Registers a function that creates a shared buffer before any worker is spawned, so that
 * workers started before the buffer's first use still share it with this isolate.
 */
export function ensureSharedBeforeSpawn(hook: () => void): void {
  if (!ensureHooks.includes(hook)) ensureHooks.push(hook);
}

/** Options for {@linkcode spawnFjordWorker}. */
export interface SpawnFjordWorkerOptions {
  /** The Worker's name (shown in errors and the inspector). */
  name?: string;
  /** Structured-cloneable data handed to the worker's `receiveFjordInit()`. */
  data?: unknown;
}

/** Starts a module Web Worker and sends it fjord's init message. */
export function spawnFjordWorker(
  entry: URL | string,
  options: SpawnFjordWorkerOptions = {},
): Worker {
  for (const hook of ensureHooks) hook();
  // The cross-Worker lock table must exist before the first spawn so every isolate shares it.
  ensureLockTable();
  const worker = new Worker(entry, {
    type: "module",
    ...(options.name !== undefined ? { name: options.name } : {}),
  });
  const message: InitMessage = {
    kind: INIT,
    shared: Object.fromEntries(buffers),
    backend: getBackendType(),
    data: options.data,
  };
  worker.postMessage(message);
  return worker;
}

/**
 * In a worker's entry module: waits for fjord's init message, adopts the shared memory and the
 * parent's backend, and returns the init data. Must be awaited before any other message handling.
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
      adopted = true;
      if (msg.backend !== undefined && getBackendType() === undefined) initBackend(msg.backend);
      resolve(msg.data as T);
    };
    self.addEventListener("message", onMessage);
  });
}

/** Whether this isolate is a Web Worker that fjord started (it has received fjord's init). */
export function isFjordWorker(): boolean {
  return adopted;
}
