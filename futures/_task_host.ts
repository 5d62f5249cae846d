// The receiving end of a pool: runs batches of TaskRef tasks inside a Web Worker or a child
// process, sends results back in batches, and tells which tasks were running if it dies.

import { serializeError } from "../runtime/_error_transfer.ts";
import { loadTask } from "../runtime/task_ref.ts";
import type { FromWorker } from "./_protocol.ts";
import { isTransferred } from "./_transfer_brand.ts";

type Fn = (...args: unknown[]) => unknown;

export interface TaskHost {
  /** Runs a batch: [id, moduleUrl, exportName, args, ...]. */
  handle(batch: unknown[]): void;
  /** The isolate is ending: flushes finished results and returns the ids of the tasks lost. */
  ending(): number[];
  /** Tells the parent this worker is set up and takes tasks. */
  ready(): void;
  /** Resolves once no task is running and every result was sent. */
  idle(): Promise<void>;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function";
}

const NO_TRANSFER: Transferable[] = [];

export function createTaskHost(
  send: (msg: FromWorker, transfer: Transferable[]) => void,
): TaskHost {
  const cache = new Map<string, Fn>();
  const loading = new Map<string, Promise<Fn>>();
  // Tasks run one at a time, in the order sent: [id, url, name, args, ...] from `head` on. A task
  // that returns a promise (or whose module is still loading) holds back the ones behind it
  // until it settles, so a pool's concurrency bound holds for async tasks too, while a batch of
  // synchronous tasks still runs in one turn.
  let queue: unknown[] = [];
  let head = 0;
  // The task holding the queue back: its promise is pending (`asyncId`) or its module loads.
  let blocked = false;
  let asyncId = -1;
  let current = -1;
  let outbox: unknown[] = [];
  // What each result in the outbox moves (NO_TRANSFER when nothing).
  let outboxTransfers: Transferable[][] = [];
  let flushScheduled = false;
  let idleWaiters: (() => void)[] = [];
  let crashed = false;

  const isIdle = (): boolean => !blocked && head === queue.length;

  function flush(): void {
    flushScheduled = false;
    if (outbox.length === 0) return;
    const batch = outbox;
    const transfers = outboxTransfers;
    outbox = [];
    outboxTransfers = [];
    try {
      const all = transfers.some((t) => t.length > 0) ? transfers.flat() : NO_TRANSFER;
      send({ t: "res", b: batch }, all);
    } catch {
      // Some value cannot be cloned: send one by one, failing only the culprits.
      for (let i = 0; i < batch.length; i += 3) {
        const id = batch[i], ok = batch[i + 1], value = batch[i + 2];
        try {
          send({ t: "res", b: [id, ok, value] }, transfers[i / 3]!);
        } catch (err) {
          send({ t: "res", b: [id, 0, serializeError(err)] }, NO_TRANSFER);
        }
      }
    }
    if (isIdle() && idleWaiters.length > 0) {
      const ws = idleWaiters;
      idleWaiters = [];
      for (const w of ws) w();
    }
  }

  function push(id: number, ok: number, value: unknown): void {
    if (crashed) return;
    if (ok && isTransferred(value)) {
      outbox.push(id, ok, value.value);
      outboxTransfers.push([...value.transfer]);
    } else {
      outbox.push(id, ok, ok ? value : serializeError(value));
      outboxTransfers.push(NO_TRANSFER);
    }
    if (!flushScheduled) {
      flushScheduled = true;
      queueMicrotask(flush);
    }
  }

  function unblock(): void {
    blocked = false;
    asyncId = -1;
    pump();
  }

  // Runs `fn`; true when it settled synchronously (else it blocks the queue until it does).
  function run(id: number, fn: Fn, args: unknown[]): boolean {
    let r: unknown;
    current = id;
    try {
      r = fn(...args);
    } catch (err) {
      current = -1;
      push(id, 0, err);
      return true;
    }
    current = -1;
    if (!isThenable(r)) {
      push(id, 1, r);
      return true;
    }
    blocked = true;
    asyncId = id;
    r.then(
      (v) => {
        push(id, 1, v);
        unblock();
      },
      (e) => {
        push(id, 0, e);
        unblock();
      },
    );
    return false;
  }

  function pump(): void {
    while (!blocked && !crashed && head < queue.length) {
      const id = queue[head] as number;
      const url = queue[head + 1] as string;
      const name = queue[head + 2] as string;
      const args = queue[head + 3] as unknown[];
      queue[head + 3] = undefined;
      head += 4;
      const fn = cache.get(`${url}#${name}`);
      if (fn !== undefined) {
        run(id, fn, args);
        continue;
      }
      // Not started while its module loads: a crash now re-queues it.
      blocked = true;
      load(url, name).then(
        (f) => {
          if (crashed) return;
          blocked = false;
          if (run(id, f, args)) pump();
        },
        (err) => {
          push(id, 0, err);
          unblock();
        },
      );
    }
    if (head === queue.length) {
      queue = [];
      head = 0;
    }
  }

  function load(url: string, name: string): Promise<Fn> {
    const key = `${url}#${name}`;
    let p = loading.get(key);
    if (p === undefined) {
      p = loadTask({ module: url, export: name }).then((fn) => {
        cache.set(key, fn);
        return fn;
      });
      p.catch(() => loading.delete(key));
      loading.set(key, p);
    }
    return p;
  }

  return {
    handle(batch: unknown[]): void {
      if (crashed) return;
      if (head === queue.length && !blocked) {
        queue = batch;
        head = 0;
      } else {
        for (let i = 0; i < batch.length; i++) queue.push(batch[i]);
      }
      pump();
    },
    ending(): number[] {
      if (crashed) return [];
      try {
        flush();
      } catch {
        // The channel is gone; the parent fails everything in flight instead.
      }
      crashed = true;
      const ids: number[] = [];
      if (asyncId >= 0) ids.push(asyncId);
      if (current >= 0) ids.push(current);
      return ids;
    },
    ready(): void {
      send({ t: "ready" }, NO_TRANSFER);
    },
    idle(): Promise<void> {
      if (isIdle() && outbox.length === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}
