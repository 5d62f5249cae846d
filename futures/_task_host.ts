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
  const running = new Set<number>();
  // Waiting for their module to load: not started, so a crash re-queues them.
  const loadingIds = new Set<number>();
  let current = -1;
  let outbox: unknown[] = [];
  // What each result in the outbox moves (NO_TRANSFER when nothing).
  let outboxTransfers: Transferable[][] = [];
  let flushScheduled = false;
  let idleWaiters: (() => void)[] = [];
  let crashed = false;

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
    if (running.size === 0 && loadingIds.size === 0 && idleWaiters.length > 0) {
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

  function run(id: number, fn: Fn, args: unknown[]): void {
    let r: unknown;
    current = id;
    try {
      r = fn(...args);
    } catch (err) {
      current = -1;
      push(id, 0, err);
      return;
    }
    current = -1;
    if (isThenable(r)) {
      running.add(id);
      r.then(
        (v) => {
          running.delete(id);
          push(id, 1, v);
        },
        (e) => {
          running.delete(id);
          push(id, 0, e);
        },
      );
    } else push(id, 1, r);
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
      for (let i = 0; i < batch.length && !crashed; i += 4) {
        const id = batch[i] as number;
        const url = batch[i + 1] as string;
        const name = batch[i + 2] as string;
        const args = batch[i + 3] as unknown[];
        const fn = cache.get(`${url}#${name}`);
        if (fn !== undefined) {
          run(id, fn, args);
          continue;
        }
        loadingIds.add(id);
        load(url, name).then(
          (f) => {
            loadingIds.delete(id);
            if (!crashed) run(id, f, args);
          },
          (err) => {
            loadingIds.delete(id);
            push(id, 0, err);
          },
        );
      }
    },
    ending(): number[] {
      if (crashed) return [];
      try {
        flush();
      } catch {
        // The channel is gone; the parent fails everything in flight instead.
      }
      crashed = true;
      const ids = [...running];
      if (current >= 0) ids.push(current);
      return ids;
    },
    ready(): void {
      send({ t: "ready" }, NO_TRANSFER);
    },
    idle(): Promise<void> {
      if (running.size === 0 && loadingIds.size === 0 && outbox.length === 0) {
        return Promise.resolve();
      }
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}
