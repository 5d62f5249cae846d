/**
 * Locks for Deno services (oslo.concurrency's lockutils): FIFO in-process locks, named locks
 * that also exclude across fjord's Web Workers (threading backend), inter-process file locks,
 * `synchronized` wrappers, timeouts and abort signals.
 *
 * @example
 * ```ts
 * import { lock, synchronized } from "@fjord/fjord/lock";
 * import assert from "node:assert/strict";
 *
 * let stock = 3;
 * const take = synchronized("stock", async () => {
 *   const left = stock;
 *   await Promise.resolve();
 *   if (left === 0) return false;
 *   stock = left - 1;
 *   return true;
 * });
 * const results = await Promise.all([take(), take(), take(), take()]);
 * assert.deepEqual(results, [true, true, true, false]);
 *
 * await using held = await lock("stock", { timeout: 1000 });
 * assert.equal(held.name, "stock");
 * ```
 *
 * @module
 */

export * from "./errors.ts";
export * from "./mutex.ts";
export * from "./semaphores.ts";
export * from "./reader_writer_lock.ts";
export * from "./lock.ts";
export * from "./synchronized.ts";
export * from "./file_lock.ts";
export * from "./remove_external_lock_file.ts";
export * from "./lock_path.ts";
