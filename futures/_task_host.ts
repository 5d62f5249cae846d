// The receiving end of a pool: runs batches of TaskRef tasks inside a Web Worker or a child
// process, sends results back in batches, and tells which tasks were running if it dies.
//
// When results are sent: a batch of short tasks answers in one message at the end of its turn
// (one message a task cut W1's Worker-pool throughput from 352 k to 57 k tasks/s, measured). But
// a result must not wait behind a long task: the parent would see the finished task as still
// running, so a timeout could fail it (and kill the worker, and run its batch-mates again), the
// next task's timeout would start late or never (a hung task behind it), and its caller would
// wait for the other task. So the results waiting are sent before a task that may be long (its
// function's last run here took 1 ms or more, or it never ran here) or that the parent times (a
// timeout or signal), and after a timed task or one that ran 1 ms or more. A task that is
// usually short but not this once can still hold the results of its batch's earlier short tasks
// until it ends.

import { serializeError } from "../runtime/_error_transfer.ts";
import { loadTask } from "../runtime/task_ref.ts";
import { type FromWorker, RUN_STRIDE } from "./_protocol.ts";
import { isTransferred } from "./_transfer_brand.ts";

type Fn = (...args: unknown[]) => unknown;

/** A loaded task function and whether its last run here was short. */
interface Task {
  readonly fn: Fn;
  short: boolean;
}

export interface TaskHost {
  /** Runs a batch: [id, moduleUrl, exportName, args, timed, ...] (see RunMessage). */
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
/** A run shorter than this lets results wait for the end of the turn (see the header). */
const SHORT_TASK_MS = 1;

export function createTaskHost(
  send: (msg: FromWorker, transfer: Transferable[]) => void,
): TaskHost {
  const cache = new Map<string, Task>();
  const loading = new Map<string, Promise<Task>>();
  // Tasks run one at a time, in the order sent: [id, url, name, args, timed, ...] from `head` on.
  // A task that returns a promise (or whose module is still loading) holds back the ones behind
  // it until it settles, so a pool's concurrency bound holds for async tasks too, while a batch
  // of synchronous tasks still runs in one turn.
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

  // Runs `task`, sending the waiting results before and after it as the header says. `start` is
  // performance.now() (the previous task's end: one clock read a task). Returns when it ended,
  // or -1 when it did not settle synchronously (it holds the queue until it does).
  function runTask(id: number, task: Task, args: unknown[], timed: boolean, start: number): number {
    if (outbox.length > 0 && (timed || !task.short)) {
      flush();
      start = performance.now();
    }
    const settled = run(id, task.fn, args);
    const end = performance.now();
    task.short = end - start < SHORT_TASK_MS;
    if (!settled) return -1;
    if (outbox.length === 0 || (!timed && task.short)) return end;
    flush();
    return performance.now();
  }

  function pump(): void {
    let now = performance.now();
    while (!blocked && !crashed && head < queue.length) {
      const id = queue[head] as number;
      const url = queue[head + 1] as string;
      const name = queue[head + 2] as string;
      const args = queue[head + 3] as unknown[];
      const timed = queue[head + 4] === 1;
      queue[head + 3] = undefined;
      head += RUN_STRIDE;
      const task = cache.get(`${url}#${name}`);
      if (task !== undefined) {
        now = runTask(id, task, args, timed, now);
        continue;
      }
      // Not started while its module loads: a crash now re-queues it.
      blocked = true;
      load(url, name).then(
        (t) => {
          if (crashed) return;
          blocked = false;
          if (runTask(id, t, args, timed, performance.now()) >= 0) pump();
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

  function load(url: string, name: string): Promise<Task> {
    const key = `${url}#${name}`;
    let p = loading.get(key);
    if (p === undefined) {
      p = loadTask({ module: url, export: name }).then((fn) => {
        const task: Task = { fn, short: false };
        cache.set(key, task);
        return task;
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
