import { Mutex } from "./_mutex.ts";
import { describeValue } from "../runtime/_describe.ts";

/**
 * A registry of named {@linkcode Mutex}es (oslo's `Semaphores`): `get(name)` returns the same
 * mutex for a name for as long as anybody can still use it.
 *
 * An entry with no holder and no waiter is removed: {@linkcode Semaphores.size} counts only
 * names that are held or waited on, so it shrinks back to 0 when everyone is done. An idle
 * mutex somebody still references stays reachable through `get(name)` (a weak reference, like
 * oslo's `WeakValueDictionary`), so a caller that keeps a mutex across idle periods still
 * excludes everyone else; once unreferenced, its slot is reclaimed by the garbage collector (the
 * mutex of the name looked up last is kept until another name is looked up).
 *
 * @example
 * ```ts
 * import { Semaphores } from "@fjord/fjord/lock";
 * import assert from "node:assert/strict";
 *
 * const semaphores = new Semaphores();
 * const mutex = semaphores.get("db");
 * assert.equal(semaphores.get("db"), mutex);
 * {
 *   using _held = await mutex.acquire();
 *   assert.equal(semaphores.size, 1);
 * }
 * assert.equal(semaphores.size, 0);
 * ```
 */
export class Semaphores {
  #entries = new Map<string, WeakRef<Mutex>>();
  // The last name asked for and its mutex: a name is usually locked again and again, and this
  // skips the map lookup and the weak reference. Keeps that one mutex alive (harmless: an idle
  // mutex holds nothing).
  #lastName: string | undefined = undefined;
  #last: Mutex | undefined = undefined;
  #finalizer = new FinalizationRegistry<string>((name) => {
    if (this.#entries.get(name)?.deref() === undefined) this.#entries.delete(name);
  });

  /** Creates an empty registry. */
  constructor() {}

  /**
   * The mutex for `name`, created on first use.
   *
   * @param name The lock name.
   * @returns The same {@linkcode Mutex} for the same name while it is in use or referenced.
   * @throws {TypeError} When `name` is not a string.
   *
   * @example
   * ```ts
   * import { Semaphores } from "@fjord/fjord/lock";
   * import assert from "node:assert/strict";
   *
   * const semaphores = new Semaphores();
   * assert.notEqual(semaphores.get("a"), semaphores.get("b"));
   * ```
   */
  get(name: string): Mutex {
    // `#last` is unset until the first lookup: `get(undefined)` on a new registry must not
    // match the unset `#lastName` (it returned `undefined` instead of a TypeError).
    if (name === this.#lastName && this.#last !== undefined) return this.#last;
    const found = this.#entries.get(name)?.deref();
    if (found !== undefined) {
      this.#lastName = name;
      this.#last = found;
      return found;
    }
    if (typeof name !== "string") {
      throw new TypeError(
        `Cannot get a lock as 'name' must be a string: current value is ${describeValue(name)}`,
      );
    }
    const mutex = new Mutex();
    this.#entries.set(name, new WeakRef(mutex));
    this.#finalizer.register(mutex, name);
    this.#lastName = name;
    this.#last = mutex;
    return mutex;
  }

  /**
   * How many names are held or waited on right now.
   *
   * @example
   * ```ts
   * import { Semaphores } from "@fjord/fjord/lock";
   * import assert from "node:assert/strict";
   *
   * const semaphores = new Semaphores();
   * const held = semaphores.get("x").tryAcquire()!;
   * assert.equal(semaphores.size, 1);
   * held[Symbol.dispose]();
   * assert.equal(semaphores.size, 0);
   * ```
   */
  get size(): number {
    // Counted when asked rather than tracked on every acquire and release (the hot path).
    let busy = 0;
    for (const ref of this.#entries.values()) {
      const m = ref.deref();
      if (m !== undefined && (m.locked || m.waiting > 0)) busy++;
    }
    return busy;
  }
}
