// The memory driver's key space: one per `memory://name` in this process, shared by every
// coordinator connected to that name. A lease ends only when revoked (its coordinator closes);
// nothing here can fail, so the memory driver is linearizable.

import { type Created, type KV, LeaseGoneError, type Store, type StoreEvent } from "./_store.ts";
import { abortPromise } from "./_abort.ts";

interface Entry extends KV {
  lease: string;
}

interface Space {
  rev: bigint;
  nextLease: number;
  kvs: Map<string, Entry>;
  leases: Map<string, Set<string>>;
  log: StoreEvent[];
  wakers: Set<() => void>;
}

const LOG_MAX = 10_000;
const spaces = new Map<string, Space>();

function dirOf(key: string): string {
  return key.slice(0, key.lastIndexOf("/") + 1);
}

export class MemoryStore implements Store {
  readonly minTtl = 1;
  #space: Space;
  #name: string;

  constructor(name: string) {
    this.#name = name;
    let space = spaces.get(name);
    if (!space) {
      space = {
        rev: 0n,
        nextLease: 1,
        kvs: new Map(),
        leases: new Map(),
        log: [],
        wakers: new Set(),
      };
      spaces.set(name, space);
    }
    this.#space = space;
  }

  #emit(event: StoreEvent): void {
    const s = this.#space;
    s.log.push(event);
    if (s.log.length > LOG_MAX) s.log.splice(0, s.log.length - LOG_MAX);
    for (const wake of [...s.wakers]) wake();
  }

  #delete(key: string): void {
    const s = this.#space;
    const e = s.kvs.get(key);
    if (!e) return;
    s.kvs.delete(key);
    s.leases.get(e.lease)?.delete(key);
    s.rev++;
    this.#emit({ type: "delete", key, value: "", createRev: e.createRev, modRev: s.rev });
  }

  #sorted(dir: string): Entry[] {
    const out: Entry[] = [];
    for (const e of this.#space.kvs.values()) if (dirOf(e.key) === dir) out.push(e);
    return out.sort((a, b) => (a.createRev < b.createRev ? -1 : 1));
  }

  #checkLease(lease: string): Set<string> {
    const keys = this.#space.leases.get(lease);
    if (!keys) throw new LeaseGoneError(`lease ${lease} not found`);
    return keys;
  }

  grant(_ttl: number): Promise<string> {
    const id = `m${this.#space.nextLease++}`;
    this.#space.leases.set(id, new Set());
    return Promise.resolve(id);
  }

  keepAlive(lease: string): Promise<boolean> {
    return Promise.resolve(this.#space.leases.has(lease));
  }

  revoke(lease: string): Promise<void> {
    const keys = this.#space.leases.get(lease);
    if (keys) {
      for (const key of [...keys]) this.#delete(key);
      this.#space.leases.delete(lease);
    }
    return Promise.resolve();
  }

  create(
    dir: string,
    key: string,
    value: string,
    lease: string,
  ): Promise<Created> {
    const s = this.#space;
    try {
      const keys = this.#checkLease(lease);
      let e = s.kvs.get(key);
      const created = e === undefined;
      if (!e) {
        s.rev++;
        e = { key, value, createRev: s.rev, modRev: s.rev, lease };
        s.kvs.set(key, e);
        keys.add(key);
        this.#emit({ type: "put", key, value, createRev: e.createRev, modRev: e.modRev });
      }
      const createRev = e.createRev;
      const ahead = this.#sorted(dir).filter((x) => x.createRev < createRev);
      return Promise.resolve({ createRev, created, ahead: ahead[ahead.length - 1], rev: s.rev });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  put(_dir: string, key: string, value: string, lease: string): Promise<bigint> {
    const s = this.#space;
    try {
      const keys = this.#checkLease(lease);
      s.rev++;
      const old = s.kvs.get(key);
      if (old && old.lease !== lease) s.leases.get(old.lease)?.delete(key);
      const e: Entry = { key, value, createRev: old?.createRev ?? s.rev, modRev: s.rev, lease };
      s.kvs.set(key, e);
      keys.add(key);
      this.#emit({ type: "put", key, value, createRev: e.createRev, modRev: e.modRev });
      return Promise.resolve(s.rev);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  before(dir: string, rev: bigint): Promise<{ kv: KV | undefined; rev: bigint }> {
    const ahead = this.#sorted(dir).filter((e) => e.createRev < rev);
    return Promise.resolve({ kv: ahead[ahead.length - 1], rev: this.#space.rev });
  }

  range(dir: string): Promise<{ kvs: KV[]; rev: bigint }> {
    return Promise.resolve({ kvs: this.#sorted(dir), rev: this.#space.rev });
  }

  delete(_dir: string, key: string): Promise<void> {
    this.#delete(key);
    return Promise.resolve();
  }

  async *watch(
    dir: string,
    key: string | undefined,
    fromRev: bigint,
    signal: AbortSignal,
  ): AsyncGenerator<StoreEvent> {
    const s = this.#space;
    let next = fromRev;
    const aborted = abortPromise(signal);
    try {
      while (true) {
        signal.throwIfAborted();
        const batch = s.log.filter((e) =>
          e.modRev >= next && (key === undefined ? dirOf(e.key) === dir : e.key === key)
        );
        if (batch.length === 0) {
          next = s.rev + 1n > next ? s.rev + 1n : next;
          let wake = (): void => {};
          const woken = new Promise<void>((resolve) => (wake = resolve));
          s.wakers.add(wake);
          try {
            await Promise.race([woken, aborted.promise]);
          } finally {
            s.wakers.delete(wake);
          }
          continue;
        }
        for (const e of batch) {
          next = e.modRev + 1n;
          yield e;
        }
      }
    } finally {
      aborted.detach();
    }
  }

  close(): Promise<void> {
    // Spaces outlive their coordinators so a later connect() to the same name sees the state.
    void this.#name;
    return Promise.resolve();
  }
}
