// The parent side of the Worker and process pools: keeps `max` workers, sends each up to `depth`
// tasks ahead (pipelining: one message round trip per batch, not per task), matches results to
// futures, and replaces a worker that dies: tasks it was running fail with WorkerCrashedError,
// tasks it had not started yet go back to the head of the queue.
//
// Pipelining pays for tiny tasks (one message per batch instead of a round trip per task) but
// hurts long ones: tasks queued behind a slow task in one worker cannot move to an idle one.
// So the runner measures how long tasks take (time between results of a busy worker, per
// task) and sends only 2 ahead (one running, one ready) once tasks take longer than 1 ms.

import { deserializeError, type SerializedError } from "../runtime/_error_transfer.ts";
import { getLogger } from "../runtime/logger.ts";
import type { FromWorker, RunMessage } from "./_protocol.ts";
import type { Runner, RunnerHost, Work } from "./_runner.ts";
import { unwrapArgs } from "./_transfer_brand.ts";
import { WorkerCrashedError } from "./errors.ts";

/** One Worker or child process, as the runner sees it. */
export interface Channel {
  /** Sends a message, moving `transfer`; throws synchronously when it cannot be cloned. */
  post(msg: RunMessage, transfer: Transferable[]): void;
  /** Stops the worker and releases its resources. */
  terminate(): Promise<void>;
  /**
   * Whether the worker should keep this process alive (it has work, or is starting). Optional:
   * Web Workers cannot be unref'd; child processes can.
   */
  setActive?(active: boolean): void;
}

export interface ChannelEvents {
  message(msg: FromWorker): void;
  /** The worker died without (or after) a crash message. */
  exit(reason: string): void;
}

export type SpawnChannel = (name: string, events: ChannelEvents) => Channel;

const MAX_START_FAILURES = 3;
// A task that was in flight on this many dying workers fails instead of going back to the
// queue: a task module that kills its isolate while it loads (a top-level Deno.exit()) would
// otherwise be re-sent to one fresh worker after another, forever.
const MAX_CRASHES_PER_TASK = 3;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

interface Slot {
  name: string;
  channel: Channel;
  ready: boolean;
  dead: boolean;
  inflight: Map<number, Work>;
  batch: unknown[];
  batchWorks: Work[];
  /** What each batched task's arguments move (NO_TRANSFER when nothing). */
  batchTransfers: Transferable[][];
  /** When this worker last became busy or last reported results while staying busy. */
  busySince: number;
  /** Whether it currently keeps the process alive (see Channel.setActive). */
  active: boolean;
}

// An idle pool must not keep the program running; a starting or busy worker must, or a program
// awaiting a future could exit first.
function updateActive(slot: Slot): void {
  const want = !slot.ready || slot.inflight.size > 0;
  if (want === slot.active || slot.dead) return;
  slot.active = want;
  slot.channel.setActive?.(want);
}

const NO_TRANSFER: Transferable[] = [];
const LONG_TASK_MS = 1;
const LONG_TASK_DEPTH = 2;

export function createRemoteRunner(
  host: RunnerHost,
  max: number,
  depth: number,
  label: string,
  spawn: SpawnChannel,
): Runner {
  const slots: Slot[] = [];
  const closers: Promise<void>[] = [];
  let nextId = 1;
  let spawned = 0;
  let closed = false;
  let flushScheduled = false;
  // Workers that died before they were ready, in a row: a pool whose workers cannot start
  // (permissions, a broken install) must fail its work rather than respawn forever.
  let startFailures = 0;
  // Estimated ms per task (moving average). Real time, not the executor's Clock: this measures
  // how long workers compute, which a fake clock cannot tell.
  let perTaskMs = 0;
  const effectiveDepth = (): number =>
    perTaskMs > LONG_TASK_MS ? Math.min(depth, LONG_TASK_DEPTH) : depth;
  let broken: Error | undefined;

  function add(): void {
    const name = `${label} ${++spawned}`;
    const slot: Slot = {
      name,
      channel: undefined as unknown as Channel,
      ready: false,
      dead: false,
      inflight: new Map(),
      batch: [],
      batchWorks: [],
      batchTransfers: [],
      busySince: 0,
      active: true,
    };
    slots.push(slot);
    try {
      slot.channel = spawn(name, {
        message: (msg) => onMessage(slot, msg),
        exit: (reason) => onCrash(slot, undefined, reason, undefined),
      });
    } catch (err) {
      slots.splice(slots.indexOf(slot), 1);
      giveUp(
        new WorkerCrashedError(name, `it could not be started (${errorText(err)})`, {
          cause: err,
        }),
      );
    }
  }

  function ensure(): void {
    while (!closed && broken === undefined && slots.length < max) add();
  }

  function giveUp(error: Error): void {
    if (broken !== undefined) return;
    broken = error;
    getLogger().error(`Cannot start pool ${label}s: failing its work`, error);
    // Queued work now fails at once instead of waiting for a worker that will never come.
    host.kick();
  }

  function onMessage(slot: Slot, msg: FromWorker): void {
    if (slot.dead) return;
    if (msg.t === "res") {
      const b = msg.b;
      const now = performance.now();
      const sample = (now - slot.busySince) / (b.length / 3);
      perTaskMs = perTaskMs === 0 ? sample : perTaskMs * 0.7 + sample * 0.3;
      for (let i = 0; i < b.length; i += 3) {
        const id = b[i] as number;
        const work = slot.inflight.get(id);
        if (work === undefined) continue;
        slot.inflight.delete(id);
        if (b[i + 1]) host.complete(work, true, b[i + 2]);
        else host.complete(work, false, deserializeError(b[i + 2] as SerializedError));
      }
      slot.busySince = now;
      host.kick();
      updateActive(slot);
    } else if (msg.t === "ready") {
      slot.ready = true;
      startFailures = 0;
      host.kick();
      queueMicrotask(() => updateActive(slot));
    } else if (msg.t === "crash") {
      onCrash(slot, msg.running, msg.reason, msg.error);
    }
  }

  function onCrash(
    slot: Slot,
    running: number[] | undefined,
    reason: string,
    error: SerializedError | undefined,
  ): void {
    if (slot.dead) return;
    slot.dead = true;
    slots.splice(slots.indexOf(slot), 1);
    closers.push(slot.channel.terminate().catch(() => {}));
    const cause = error ? deserializeError(error) : undefined;
    const requeue: Work[] = [];
    const failed: Work[] = [];
    for (const [id, work] of slot.inflight) {
      const lost = running === undefined || running.includes(id);
      if (lost || ++work.crashes >= MAX_CRASHES_PER_TASK) failed.push(work);
      else requeue.push(work);
    }
    slot.inflight.clear();
    if (!slot.ready && ++startFailures >= MAX_START_FAILURES) {
      giveUp(
        new WorkerCrashedError(
          slot.name,
          `${MAX_START_FAILURES} workers in a row died before they were ready; the last: ${reason}`,
          cause ? { cause } : undefined,
        ),
      );
    }
    if (!closed && broken === undefined) {
      getLogger().warning(`Replacing ${slot.name}, which died: ${reason}`);
      ensure();
    }
    host.requeue(requeue);
    for (const work of failed) {
      const why = work.crashes >= MAX_CRASHES_PER_TASK
        ? `${reason} (the task was in flight on ${work.crashes} workers that died)`
        : reason;
      host.complete(
        work,
        false,
        new WorkerCrashedError(slot.name, why, cause ? { cause } : undefined),
      );
    }
  }

  function flush(): void {
    flushScheduled = false;
    for (const slot of slots) {
      if (slot.batchWorks.length === 0) continue;
      const batch = slot.batch;
      const works = slot.batchWorks;
      const transfers = slot.batchTransfers;
      slot.batch = [];
      slot.batchWorks = [];
      slot.batchTransfers = [];
      try {
        const all = transfers.some((t) => t.length > 0) ? transfers.flat() : NO_TRANSFER;
        slot.channel.post({ t: "run", b: batch }, all);
        continue;
      } catch {
        // Some argument cannot be cloned: send one by one, failing only the culprits.
      }
      for (let i = 0; i < works.length; i++) {
        const item = batch.slice(i * 4, i * 4 + 4);
        try {
          slot.channel.post({ t: "run", b: item }, transfers[i]!);
        } catch (err) {
          slot.inflight.delete(item[0] as number);
          host.complete(works[i]!, false, err);
        }
      }
      updateActive(slot);
    }
  }

  return {
    acceptsFunctions: false,
    freeSlots(): number {
      if (broken !== undefined) return Number.MAX_SAFE_INTEGER;
      ensure();
      let free = 0;
      const d = effectiveDepth();
      for (const slot of slots) if (slot.ready) free += Math.max(0, d - slot.inflight.size);
      return free;
    },
    start(work: Work): void {
      if (broken !== undefined) {
        host.complete(work, false, broken);
        return;
      }
      let best: Slot | undefined;
      const d = effectiveDepth();
      for (const slot of slots) {
        if (!slot.ready || slot.inflight.size >= d) continue;
        if (best === undefined || slot.inflight.size < best.inflight.size) best = slot;
      }
      if (best === undefined) {
        // Not reachable through the executor (it checks freeSlots first); keep the work safe.
        host.requeue([work]);
        return;
      }
      const id = nextId++;
      if (best.inflight.size === 0) best.busySince = performance.now();
      best.inflight.set(id, work);
      const moved: Transferable[] = [];
      best.batch.push(id, work.url, work.ref!.export, unwrapArgs(work.args, moved));
      best.batchWorks.push(work);
      best.batchTransfers.push(moved.length > 0 ? moved : NO_TRANSFER);
      updateActive(best);
      if (!flushScheduled) {
        flushScheduled = true;
        queueMicrotask(flush);
      }
    },
    async close(): Promise<void> {
      closed = true;
      const all = slots.splice(0);
      for (const slot of all) slot.dead = true;
      await Promise.all([...all.map((s) => s.channel.terminate()), ...closers]);
    },
  };
}
