/**
 * `currentWorker()`: what a launcher worker knows about itself, for code that is not handed a
 * factory context (class-style service exports, helpers deep in a service).
 *
 * @module
 */

import type { Config } from "../config/mod.ts";

/**
 * A launcher worker's identity and configuration.
 *
 * @example
 * ```ts
 * import { currentWorker, type WorkerContext } from "@fjord/fjord";
 *
 * const ctx: WorkerContext | undefined = currentWorker();
 * const port = 8000 + (ctx?.workerId ?? 0);
 * ```
 */
export interface WorkerContext {
  /** The worker id (from 0, per service), kept across respawns. */
  readonly workerId: number;
  /**
   * The worker's Config: the parent's options and values (what `ctx.conf` is to a factory); an
   * option whose value is invalid in the parent throws the same error here.
   */
  readonly conf: Config;
}

let current: WorkerContext | undefined;

/**
 * The launcher worker this code runs in (a `ProcessLauncher` Web Worker or child process):
 * its `workerId` and its `Config`, which answers `get()` as the launcher's does. Set before the
 * service export is constructed or called.
 *
 * @returns The context, or `undefined` outside a launcher worker (and in a standby worker
 *   that was not promoted yet).
 *
 * @example
 * ```ts
 * import { currentWorker } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * assert.equal(currentWorker(), undefined); // not in a launcher worker
 * ```
 */
export function currentWorker(): WorkerContext | undefined {
  return current;
}

/** Set by the launcher worker's runtime (internal). */
export function setCurrentWorker(ctx: WorkerContext | undefined): void {
  current = ctx;
}
