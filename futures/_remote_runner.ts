// The parent side of the Worker and process pools: keeps `max` workers, sends each tasks ahead
// (pipelining: one message per batch, not a round trip per task), matches results to futures,
// stops a task that timed out by terminating its worker, and replaces workers that die under the
// pool's restart policy (a pool whose workers keep dying becomes broken).
//
// A worker runs the tasks it is sent one at a time, in order (see _task_host.ts): a task that
// returns a promise holds back the ones behind it. So each worker has exactly one running task,
// the head of its FIFO, and `max` bounds the running tasks of the pool, async tasks included.
// Tasks behind the head are claimed (no longer cancellable) but not running; they become running
// when the head's result arrives. A synchronous batch still runs in one turn of the worker.
//
// Pipelining pays for tiny tasks but hurts long ones: tasks queued behind a slow task in one
// worker cannot move to an idle one. So the runner measures how long tasks take (time between
// results of a busy worker, per task) and sends 2 ahead once tasks take over 1 ms (1 once fewer
// are waiting than there are workers), and only 1 until the first result tells (so a fresh
// pool's first batch of long tasks is spread over all its workers instead of queued on the first
// one ready).
//
// A task with a signal is only sent to an idle worker (it waits here, counted against the free
// slots, until one is): aborted before it runs, it must never run, and a worker cannot take back
// a task queued behind another. Aborted while waiting here, it is dropped.

import { deserializeError } from "../runtime/_error_revive.ts";
import type { SerializedError } from "../runtime/_error_transfer.ts";
import type { Clock } from "../runtime/clock.ts";
import { getLogger } from "../runtime/logger.ts";
import { type ResolvedRestartPolicy, RestartTracker } from "../runtime/restart_policy.ts";
import { futureInternals } from "./_future_control.ts";
import { type FromWorker, RUN_STRIDE, type RunMessage } from "./_protocol.ts";
import type { Runner, RunnerHost, Work } from "./_runner.ts";
import { unwrapArgs } from "./_transfer_brand.ts";
import { BrokenExecutorError, WorkerCrashedError } from "./errors.ts";

/** One Worker or child process, as the runner sees it. */
export interface Channel {
  /** Sends a message, moving `transfer`; throws synchronously when it cannot be cloned. */
  post(msg: RunMessage, transfer: Transferable[]): void;
  /** Stops the worker gracefully (after its running tasks) and releases its resources. */
  terminate(): Promise<void>;
  /**
   * Whether the worker should keep this process alive (it has work, or is starting). Optional:
   * Web Workers cannot be unref'd; child processes can.
   */
  setActive?(active: boolean): void;
  /**
   * Ends the worker at once (a Worker is terminated, a child SIGKILLed), whatever it runs; its
   * `exit` event may still follow and is ignored. Default: `terminate()`.
   */
  kill?(): void;
}

/** How a worker ended, as far as its channel knows. */
export interface ChannelExit {
  /** The ids of the tasks that died with it, when the worker could say (else: its head). */
  running?: number[] | undefined;
  exitCode?: number | undefined;
  signal?: string | undefined;
  /** What killed it (an uncaught error, a rejection). */
  error?: Error | undefined;
  /** The last few KB it wrote to stderr (child processes). */
  stderr?: string | undefined;
}

export interface ChannelEvents {
  message(msg: FromWorker): void;
  /** The worker died (or was stopped); `reason` completes "Pool process 2 died: …". */
  exit(reason: string, info?: ChannelExit): void;
}

export type SpawnChannel = (name: string, events: ChannelEvents) => Channel;

// A task that was in flight (not running) on this many dying workers fails instead of going
// back to the queue: a task module that kills its isolate while it loads (a top-level
// Deno.exit()) would otherwise be re-sent to one fresh worker after another, forever.
const MAX_CRASHES_PER_TASK = 3;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

interface Slot {
  name: string;
  channel: Channel;
  ready: boolean;
  dead: boolean;
  /** Task ids and works sent to it, in run order, from `head` on; `works[head]` runs. */
  ids: number[];
  works: Work[];
  head: number;
  batch: unknown[];
  batchWorks: Work[];
  /** What each batched task's arguments move (NO_TRANSFER when nothing). */
  batchTransfers: Transferable[][];
  /** When this worker last became busy or last reported results while staying busy. */
  busySince: number;
  /** Whether it currently keeps the process alive (see Channel.setActive). */
  active: boolean;
}

const size = (slot: Slot): number => slot.ids.length - slot.head;

// An idle pool must not keep the program running; a starting or busy worker must, or a program
// awaiting a future could exit first.
function updateActive(slot: Slot): void {
  const want = !slot.ready || size(slot) > 0;
  if (want === slot.active || slot.dead) return;
  slot.active = want;
  slot.channel.setActive?.(want);
}

const NO_TRANSFER: Transferable[] = [];
const LONG_TASK_MS = 1;
const LONG_TASK_DEPTH = 2;

// A worker that died before it was ready for want of a permission ("Requires read access to …,
// run again with the --allow-read flag"): its replacements would die the same way.
function isMissingPermission(error: unknown): boolean {
  return error instanceof Error &&
    (error.name === "NotCapable" || error.name === "PermissionDenied" ||
      /^Requires \S+ access\b/.test(error.message));
}

export function createRemoteRunner(
  host: RunnerHost,
  max: number,
  depth: number,
  label: string,
  spawn: SpawnChannel,
  restart: ResolvedRestartPolicy,
  clock: Clock,
): Runner {
  const slots: Slot[] = [];
  const closers: Promise<void>[] = [];
  // Channels being terminated (given time to exit by themselves), until they have exited.
  const closing = new Set<Channel>();
  let hurry = false;
  const restartTimers = new Set<ReturnType<typeof setTimeout>>();
  const tracker = new RestartTracker(restart, clock);
  let nextId = 1;
  let spawned = 0;
  let closed = false;
  let flushScheduled = false;
  // Estimated ms per task (moving average); -1 until the first result. Real time, not the
  // executor's Clock: this measures how long workers compute, which a fake clock cannot tell.
  let perTaskMs = -1;
  // Long tasks are sent 2 ahead (hiding the round trip) only while more are waiting than there
  // are workers; the last ones go 1 at a time to whichever worker is free first, so no worker
  // sits idle while another still has a queued long task.
  let backlog = 0;
  const effectiveDepth = (): number =>
    perTaskMs < 0
      ? 1
      : perTaskMs <= LONG_TASK_MS
      ? depth
      : backlog > slots.length
      ? Math.min(depth, LONG_TASK_DEPTH)
      : 1;
  let broken: BrokenExecutorError | undefined;
  // Tasks with a signal waiting for an idle worker, in order.
  const parked: Work[] = [];

  function add(): void {
    const name = `${label} ${++spawned}`;
    const slot: Slot = {
      name,
      channel: undefined as unknown as Channel,
      ready: false,
      dead: false,
      ids: [],
      works: [],
      head: 0,
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
        exit: (reason, info) => onExit(slot, reason, info ?? {}),
      });
    } catch (err) {
      slots.splice(slots.indexOf(slot), 1);
      giveUp(
        new BrokenExecutorError(`${name} could not be started (${errorText(err)})`, undefined, {
          cause: err,
        }),
      );
    }
  }

  function ensure(): void {
    while (!closed && broken === undefined && slots.length + restartTimers.size < max) add();
  }

  function giveUp(error: BrokenExecutorError): void {
    if (broken !== undefined) return;
    broken = error;
    for (const t of restartTimers) clearTimeout(t);
    restartTimers.clear();
    getLogger().error(`Giving up on the ${label} pool`, error);
    for (const work of parked.splice(0)) host.complete(work, false, error);
    host.broke(error);
  }

  // Sends `work` to `slot`'s worker (with the others of this turn, in one message).
  function place(slot: Slot, work: Work): void {
    const id = nextId++;
    const first = size(slot) === 0;
    if (first) slot.busySince = performance.now();
    slot.ids.push(id);
    slot.works.push(work);
    const moved: Transferable[] = [];
    const timed = work.timeout !== undefined || work.signal !== undefined ? 1 : 0;
    slot.batch.push(id, work.url, work.ref!.export, unwrapArgs(work.args, moved), timed);
    slot.batchWorks.push(work);
    slot.batchTransfers.push(moved.length > 0 ? moved : NO_TRANSFER);
    updateActive(slot);
    if (first) host.running(work);
    if (!flushScheduled) {
      flushScheduled = true;
      queueMicrotask(flush);
    }
  }

  const idleSlot = (): Slot | undefined => slots.find((s) => s.ready && size(s) === 0);

  // Sends parked tasks to the idle workers, oldest first. Called where a worker can become idle
  // (a result, a worker ready) and where a task is parked.
  function placeParked(): void {
    while (parked.length > 0) {
      const slot = idleSlot();
      if (slot === undefined) return;
      const work = parked.shift()!;
      // Claimed as it leaves: until then cancel() (or shutdown's cancelFutures) can take it back.
      if (futureInternals.claim(work.future)) place(slot, work);
    }
  }

  // Drops parked tasks cancelled meanwhile (they no longer count against the free slots).
  function pruneParked(): void {
    for (let i = parked.length - 1; i >= 0; i--) {
      if (parked[i]!.future.done()) parked.splice(i, 1);
    }
  }

  // Marks the new head of `slot` running (its timeout starts now).
  function startHead(slot: Slot): void {
    if (slot.head < slot.ids.length) host.running(slot.works[slot.head]!);
  }

  function onMessage(slot: Slot, msg: FromWorker): void {
    if (slot.dead) return;
    if (msg.t === "res") {
      const b = msg.b;
      const now = performance.now();
      const sample = (now - slot.busySince) / (b.length / 3);
      perTaskMs = perTaskMs < 0 ? sample : perTaskMs * 0.7 + sample * 0.3;
      for (let i = 0; i < b.length; i += 3) {
        const id = b[i] as number;
        let at = slot.head;
        if (slot.ids[at] !== id) {
          at = slot.ids.indexOf(id, slot.head);
          if (at < 0) continue;
        }
        const work = slot.works[at]!;
        if (at === slot.head) {
          slot.works[at] = undefined as unknown as Work;
          slot.head++;
        } else {
          // Out of order (not expected from a serial worker): drop it from the middle.
          slot.ids.splice(at, 1);
          slot.works.splice(at, 1);
        }
        if (b[i + 1]) host.complete(work, true, b[i + 2]);
        else host.complete(work, false, deserializeError(b[i + 2] as SerializedError));
      }
      if (slot.head === slot.ids.length) {
        slot.ids = [];
        slot.works = [];
        slot.head = 0;
      } else startHead(slot);
      slot.busySince = now;
      placeParked();
      host.kick();
      updateActive(slot);
    } else if (msg.t === "ready") {
      slot.ready = true;
      placeParked();
      host.kick();
      queueMicrotask(() => updateActive(slot));
    } else if (msg.t === "crash") {
      const info: ChannelExit = { running: msg.running };
      if (msg.error) info.error = deserializeError(msg.error);
      onExit(slot, msg.reason, info);
    }
  }

  // Removes a dead slot; returns its unfinished works and their ids, in run order.
  function remove(slot: Slot): { works: Work[]; ids: number[] } {
    slot.dead = true;
    const at = slots.indexOf(slot);
    if (at >= 0) slots.splice(at, 1);
    const works = slot.works.slice(slot.head);
    const ids = slot.ids.slice(slot.head);
    slot.ids = [];
    slot.works = [];
    slot.head = 0;
    return { works, ids };
  }

  // Terminates `channel` (a child gets time to exit by itself), at once after shutdown's timeout.
  function release(channel: Channel): Promise<void> {
    closing.add(channel);
    const done = channel.terminate();
    if (hurry) channel.kill?.();
    return done.finally(() => closing.delete(channel));
  }

  function replace(): void {
    if (closed || broken !== undefined) return;
    ensure();
    host.kick();
  }

  function onExit(slot: Slot, reason: string, info: ChannelExit): void {
    if (slot.dead) return;
    const wasReady = slot.ready;
    const { works, ids } = remove(slot);
    closers.push(release(slot.channel).catch(() => {}));
    // Which tasks died with it: what the worker said, else the one it was running.
    const lost = new Set(info.running ?? (ids.length > 0 ? [ids[0]!] : []));
    const requeue: Work[] = [];
    const failed: Work[] = [];
    for (let i = 0; i < works.length; i++) {
      const work = works[i]!;
      if (work.future.done()) continue;
      if (lost.has(ids[i]!) || ++work.crashes >= MAX_CRASHES_PER_TASK) failed.push(work);
      else requeue.push(work);
    }
    const stderr = info.stderr;
    // A missing permission is the same for every replacement: retrying it with back-off held
    // the first task ~21 s (the default policy) before the pool gave up.
    if (!closed && broken === undefined && !wasReady && isMissingPermission(info.error)) {
      giveUp(
        new BrokenExecutorError(
          `(${slot.name}, before it was ready) died: ${reason}; a missing permission is not retried`,
          stderr,
          { cause: info.error },
        ),
      );
    }
    if (!closed && broken === undefined) {
      const decision = tracker.onDeath();
      if (!decision.restart) {
        giveUp(
          new BrokenExecutorError(
            `(${slot.name}${wasReady ? "" : ", before it was ready"}) died: ${reason}; ${
              decision.restarts - 1
            } restarts within ${restart.window} ms`,
            stderr,
            info.error ? { cause: info.error } : undefined,
          ),
        );
      } else {
        getLogger().warning(
          `Replacing ${slot.name}, which died${wasReady ? "" : " before it was ready"}: ${reason}`,
        );
        if (decision.delay === 0) ensure();
        else {
          const timer = setTimeout(() => {
            restartTimers.delete(timer);
            replace();
          }, decision.delay);
          restartTimers.add(timer);
        }
      }
    }
    host.requeue(requeue);
    const facts = { exitCode: info.exitCode, signal: info.signal };
    for (const work of failed) {
      const why = lost.has(ids[works.indexOf(work)]!)
        ? reason
        : `${reason} (the task was in flight on ${work.crashes} workers that died)`;
      host.complete(
        work,
        false,
        new WorkerCrashedError(
          slot.name,
          why,
          info.error ? { ...facts, cause: info.error } : facts,
        ),
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
        const item = batch.slice(i * RUN_STRIDE, (i + 1) * RUN_STRIDE);
        try {
          slot.channel.post({ t: "run", b: item }, transfers[i]!);
        } catch (err) {
          const id = item[0] as number;
          const at = slot.ids.indexOf(id, slot.head);
          const wasHead = at === slot.head;
          if (at >= 0) {
            slot.ids.splice(at, 1);
            slot.works.splice(at, 1);
          }
          host.complete(works[i]!, false, err);
          if (wasHead) startHead(slot);
        }
      }
      updateActive(slot);
    }
  }

  function find(work: Work): Slot | undefined {
    for (const slot of slots) if (slot.works.includes(work)) return slot;
    return undefined;
  }

  return {
    acceptsFunctions: false,
    freeSlots(waiting: number): number {
      backlog = waiting;
      if (broken !== undefined) return Number.MAX_SAFE_INTEGER;
      ensure();
      pruneParked();
      let free = -parked.length;
      const d = effectiveDepth();
      for (const slot of slots) if (slot.ready) free += Math.max(0, d - size(slot));
      return Math.max(0, free);
    },
    start(work: Work): void {
      if (broken !== undefined) {
        host.complete(work, false, broken);
        return;
      }
      if (work.signal !== undefined) {
        // Not sent anywhere yet: it stays cancellable until a worker takes it.
        futureInternals.unclaim(work.future);
        parked.push(work);
        placeParked();
        return;
      }
      let best: Slot | undefined;
      const d = effectiveDepth();
      for (const slot of slots) {
        if (!slot.ready || size(slot) >= d) continue;
        if (best === undefined || size(slot) < size(best)) best = slot;
      }
      if (best === undefined) {
        // Not reachable through the executor (it checks freeSlots first); keep the work safe.
        host.requeue([work]);
        return;
      }
      place(best, work);
    },
    stop(work: Work): void {
      const at = parked.indexOf(work);
      if (at >= 0) {
        // Never sent: dropped, it will not run (the caller settles the future).
        parked.splice(at, 1);
        return;
      }
      const slot = find(work);
      // Queued behind another task on its worker: it cannot be taken back; its result will be
      // ignored (the caller settles the future now).
      if (slot === undefined || slot.works[slot.head] !== work) return;
      const { works } = remove(slot);
      if (slot.channel.kill) slot.channel.kill();
      closers.push(release(slot.channel).catch(() => {}));
      // The others never started: they go back to the queue, not counted as crashes. The
      // replacement starts when queued work asks for it (not during a shutdown that stops all).
      host.requeue(works.filter((w) => w !== work && !w.future.done()));
      // The replacement starts when queued work asks for it: parked tasks ask here (with nothing
      // queued in the executor, nothing else would).
      if (parked.length > 0) ensure();
      host.kick();
    },
    *started(): Iterable<Work> {
      // Parked first: stopping them (shutdown's timeout) only drops them.
      yield* [...parked];
      for (const slot of [...slots]) yield* slot.works.slice(slot.head);
    },
    async close(): Promise<void> {
      closed = true;
      for (const t of restartTimers) clearTimeout(t);
      restartTimers.clear();
      const all = slots.splice(0);
      for (const slot of all) slot.dead = true;
      await Promise.all([...all.map((s) => release(s.channel)), ...closers]);
    },
    hurryClose(): void {
      hurry = true;
      for (const channel of closing) channel.kill?.();
    },
  };
}
