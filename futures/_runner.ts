// The contract between the executor base (queue, statistics, shutdown) and what actually runs
// started work: inline, as async tasks on this isolate, in Web Workers, or in child processes.

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
  /** Already marked running (re-queued after its Worker died before starting it). */
  started: boolean;
  /** How many workers died while this work was in flight on them (remote pools). */
  crashes: number;
}

/** What a runner reports back to its executor. */
export interface RunnerHost {
  /** Settles `work` (success when `ok`), frees its slot and starts more work. */
  complete(work: Work, ok: boolean, value: unknown): void;
  /** Puts started-but-not-run work back at the head of the queue (its Worker died first). */
  requeue(works: Work[]): void;
  /** Capacity appeared (a Worker became ready): start queued work. */
  kick(): void;
}

export interface Runner {
  /** Accepts plain functions (not only TaskRefs). */
  readonly acceptsFunctions: boolean;
  /** How many more items can start now. */
  freeSlots(): number;
  /** Runs `work` (already marked running) and reports through the host. */
  start(work: Work): void;
  /** Releases Workers/processes; called once all work is done. */
  close(): Promise<void>;
}

/** Options every runner factory receives (already validated by the executor). */
export interface RunnerOptions {
  maxWorkers: number | undefined;
  tasksPerWorker: number;
  denoArgs: string[] | undefined;
}

export type RunnerFactory = (host: RunnerHost, options: RunnerOptions) => Runner;

/**
 * Runner factories by executor kind. Each runner module registers itself when imported, so the
 * executor base does not import the Worker/process machinery (which reaches the backend
 * registry, which imports the executors back: a cycle that must not run class definitions early).
 */
export const runnerFactories: Partial<
  Record<"inline" | "async" | "worker" | "process", RunnerFactory>
> = {};

export function cpuCount(): number {
  return Math.max(1, navigator.hardwareConcurrency || 1);
}
