/**
 * {@linkcode transfer}: moving (rather than copying) buffers and ports to and from pool Workers.
 *
 * @module
 */

import { TRANSFER_BRAND } from "./_transfer_brand.ts";
import { describeValue } from "../runtime/_describe.ts";

/**
 * A value marked by {@linkcode transfer}: the objects in `transfer` are moved, not copied, when
 * the value crosses to or from a Worker. Executors unwrap it: the task receives (and the future
 * resolves with) `value` itself.
 *
 * @typeParam T The wrapped value's type.
 *
 * @example
 * ```ts
 * import { transfer, Transferred } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * const buf = new ArrayBuffer(8);
 * const marked = transfer(buf, [buf]);
 * assert.ok(marked instanceof Transferred);
 * assert.equal(marked.value, buf);
 * ```
 */
export class Transferred<T> {
  /** The value the task receives (or the future resolves with). */
  readonly value: T;
  /** What to move instead of copying. */
  readonly transfer: readonly Transferable[];

  /**
   * Marks `value` (use {@linkcode transfer}).
   *
   * @param value The value.
   * @param list What to move: `ArrayBuffer`s, `MessagePort`s, ... reachable from `value`.
   */
  constructor(value: T, list: readonly Transferable[]) {
    this.value = value;
    this.transfer = list;
    // A brand rather than instanceof: a task module may load fjord from another URL.
    Object.defineProperty(this, TRANSFER_BRAND, { value: true });
  }
}

/**
 * Marks a top-level task argument, or a task's return value, so that the listed objects are
 * moved to the other isolate instead of copied (`postMessage`'s transfer list). After the move
 * the sender's buffers are detached. Only {@linkcode WorkerPoolExecutor} (and a Worker-backed
 * {@linkcode ThreadPoolExecutor}) move anything; the other executors just unwrap the value
 * (child processes always receive a copy).
 *
 * @param value The argument or result.
 * @param list What to move.
 * @returns The marked value.
 * @throws {TypeError} When `list` is not an array.
 *
 * @example Moving a buffer to a Worker
 * ```ts
 * import { transfer, WorkerPoolExecutor } from "@fjord/fjord/futures";
 * import assert from "node:assert/strict";
 *
 * const code = "export function size(buf) { return buf.byteLength; }";
 * await using ex = new WorkerPoolExecutor({ maxWorkers: 1 });
 * const buf = new ArrayBuffer(8);
 * const size = { module: `data:text/javascript,${code}`, export: "size" };
 * assert.equal(await ex.submit(size, transfer(buf, [buf])), 8);
 * assert.equal(buf.byteLength, 0); // moved, not copied
 * ```
 */
export function transfer<T>(value: T, list: readonly Transferable[]): Transferred<T> {
  if (!Array.isArray(list)) {
    throw new TypeError(
      `Cannot mark value for transfer as 'list' must be an array: current value is ${
        describeValue(list)
      }`,
    );
  }
  return new Transferred(value, list);
}
