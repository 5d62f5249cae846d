// The contract between the executor base (queue, statistics, shutdown) and what actually runs
// started work: inline, as async tasks on this isolate, in Web Workers, or in child processes.

import type { Clock } from "../runtime/clock.ts";
import type { ResolvedRestartPolicy } from "../runtime/restart_policy.ts";
import type { TaskRef } from "../runtime/task_ref.ts";
import type { Future } from "./future.ts";

/** One submitted piece of work. */
export interface Work {
  readonly future: Future<unknown>;
  /** A plain function (sync/async runners only). */
  readonly fn: ((...args: unknown[]) => unknown) | undefined;
  /** A task reference and its validated module URL. */
  readonly ref: TaskRef | undefined;
  readonly url: string;
  readonly args: unknown[];
  /** Clock time the statistics measure from. */
  startedAt: number;
  /** Claimed from the queue (re-queued after its Worker died before starting it). */
  started: boolean;
  /** How many workers died while this work was in flight on them (remote pools). */
  crashes: number;
  /** Run-time limit in ms from when it starts running (submitWith / taskTimeout). */
  timeout: number | undefined;
  /** Aborting stops it. */
  signal: AbortSignal | undefined;
  /** Cancels the timeout timer and the abort listener (set while running). */
  disarm: (() => void) | undefined;
}

/** What a runner reports back to its executor. */
export interface RunnerHost {
  /** Settles `work` (success when `ok`), frees its slot and starts more work. */
  complete(work: Work, ok: boolean, value: unknown): void;
  /** Puts started-but-not-run work back at the head of the queue (its Worker died first). */
  requeue(works: Work[]): void;
  /** Capacity appeared (a Worker became ready): start queued work. */
  kick(): void;
  /** `work` (claimed earlier) now really runs: marks its future running, arms its timeout. */
  running(work: Work): void;
  /** The runner cannot keep workers alive: fail everything queued with `error`. */
  broke(error: Error): void;
}

export interface Runner {
  /** Accepts plain functions (not only TaskRefs). */
  readonly acceptsFunctions: boolean;
  /**
   * How many more items can start now, given `backlog` items waiting in the executor's queue
   * (remote runners pipeline long tasks only while the backlog keeps every worker busy).
   */
  freeSlots(backlog: number): number;
  /** Runs `work` (claimed) and reports through the host, calling `host.running()` first. */
  start(work: Work): void;
  /**
   * Stops started `work` that timed out, was aborted or outlived shutdown: its Worker/child is
   * terminated and replaced (the other tasks sent to it go back to the queue); in-isolate work
   * is abandoned (its slot freed, its outcome ignored). The caller settles the future.
   */
  stop(work: Work): void;
  /** The work started and not done (for shutdown's timeout). */
  started(): Iterable<Work>;
  /** Releases Workers/processes; called once all work is done. */
  close(): Promise<void>;
  /**
   * Shutdown's timeout has passed: workers still closing, and those closed from now on, are
   * ended at once instead of being given time to exit by themselves (one that is stopped or
   * stuck would otherwise hold the shutdown past its timeout). Optional: in-isolate runners
   * have nothing to end.
   */
  hurryClose?(): void;
}

/** Options every runner factory receives (already validated by the executor). */
export interface RunnerOptions {
  maxWorkers: number | undefined;
  tasksPerWorker: number;
  denoArgs: string[] | undefined;
  /** Restart intensity and back-off for dying workers (remote pools). */
  restart: ResolvedRestartPolicy;
  clock: Clock;
}

export type RunnerFactory = (host: RunnerHost, options: RunnerOptions) => Runner;

/**
 * Runner factories by executor kind. Each runner module registers itself when imported, so the
 * executor base does not import the Worker/process machinery (which reaches the backend
 * registry, which imports the executors back: a cycle that must not run class definitions early).
 * The Worker/process runners are first registered by _deferred_runner.ts, which loads the real
 * ones at the first such pool.
 */
export const runnerFactories: Partial<
  Record<"inline" | "async" | "worker" | "process", RunnerFactory>
> = {};

export function cpuCount(): number {
  return Math.max(1, navigator.hardwareConcurrency || 1);
}
