// lock(name, {coordinator}): the in-process lock (and, in the threading backend, the cross-Worker
// slot) first, so that one task per process queues on the server at a time, then the
// coordinator's distributed lock for the name. Released in reverse: the server key first, so a
// local waiter handed the in-process lock does not queue behind a key that is about to go.

import type { Coordinator, DistributedLock } from "../coord/coordinator.ts";
import { type Clock, systemClock } from "../runtime/clock.ts";
import { getLogger } from "../runtime/logger.ts";
import { armGiveUp, type Deadline, deadlineOf } from "./_give_up.ts";
import type { LockHandle, LockOptions } from "./lock.ts";
import { AcquireLockFailedError } from "./errors.ts";

class CoordinatedHandle implements LockHandle {
  readonly name: string;
  readonly fencingToken: bigint;
  readonly #local: LockHandle;
  readonly #held: DistributedLock;
  readonly #log: boolean;
  #released: Promise<void> | undefined;

  constructor(name: string, local: LockHandle, held: DistributedLock, log: boolean) {
    this.name = name;
    this.fencingToken = held.token;
    this.#local = local;
    this.#held = held;
    this.#log = log;
  }

  // A getter: reading the coordinator's signal runs its local TTL check, so a process frozen
  // past the TTL sees it aborted before it acts.
  get lost(): AbortSignal {
    return this.#held.signal;
  }

  release(): Promise<void> {
    this.#released ??= (async () => {
      if (this.#log) getLogger().debug(`Releasing distributed lock "${this.#held.name}"`);
      try {
        await this.#held.release();
      } finally {
        await this.#local.release();
      }
    })();
    return this.#released;
  }

  // `using` cannot wait for the server: the release starts here, and the in-process lock passes
  // on once the server has removed the key.
  [Symbol.dispose](): void {
    this.release().catch((err) => {
      getLogger().error(`Releasing distributed lock "${this.#held.name}" failed`, err);
    });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }
}

/** The distributed lock's name: the lock file prefix (if any) joined as for files, then `name`. */
function distributedName(name: string, prefix: string | undefined): string {
  if (prefix === undefined || prefix === "") return name;
  return (prefix.endsWith("-") ? prefix : prefix + "-") + name;
}

async function lockWithin(
  coordinator: Coordinator,
  name: string,
  signal: AbortSignal | undefined,
  deadline: Deadline | undefined,
  clock: Clock,
): Promise<DistributedLock> {
  if (signal === undefined && deadline === undefined) return await coordinator.lock(name);
  // The timeout runs on the lock's clock and rejects with the lock's TimeoutError; the
  // coordinator removes its waiter key on the abort before rejecting.
  const giveUp = new AbortController();
  const disarm = armGiveUp(signal, deadline, clock, (reason) => giveUp.abort(reason));
  try {
    return await coordinator.lock(name, { signal: giveUp.signal });
  } finally {
    disarm();
  }
}

/**
 * Takes the local parts through `acquireLocal` (lock()'s own path, without the coordinator),
 * then the distributed lock; on any failure the local parts are released before rejecting.
 */
export async function acquireCoordinated(
  name: string,
  o: LockOptions,
  coordinator: Coordinator,
  doLog: boolean,
  acquireLocal: (o: LockOptions) => Promise<LockHandle>,
): Promise<LockHandle> {
  const { coordinator: _, ...localOptions } = o;
  const clock = o.clock ?? systemClock;
  const deadline = deadlineOf(o.timeout, clock, `lock "${name}"`);
  const local = await acquireLocal(localOptions);
  const key = distributedName(name, o.lockFilePrefix);
  let held: DistributedLock | undefined;
  try {
    // An abort between the local grant and here would never fire its event again.
    o.signal?.throwIfAborted();
    if (o.blocking === false) {
      held = await coordinator.tryLock(key);
      if (held === undefined) throw new AcquireLockFailedError(name);
    } else {
      held = await lockWithin(coordinator, key, o.signal, deadline, clock);
    }
  } catch (err) {
    await local.release();
    throw err;
  }
  if (doLog) getLogger().debug(`Acquired distributed lock "${key}" (fencing token ${held.token})`);
  return new CoordinatedHandle(name, local, held, doLog);
}
