// The drivers fail in their own words: a RespError, a Deno.errors.ConnectionRefused, an EtcdError,
// an HttpConnectionError, a TypeError on a reply of the wrong shape, the internal LeaseGoneError.
// A user of lock(), members() or release() can catch none of those by a name fjord exports, so
// every driver is wrapped in this once, at connect(): whatever a call fails with becomes a
// CoordinatorUnavailableError naming the URL (the driver's error is its cause). A watch or wait
// ended by its signal still rejects with that signal's reason, which is the caller's.

import type { Created, KV, Store, StoreEvent, WriteOptions } from "./_store.ts";
import { CoordinatorUnavailableError } from "./errors.ts";

export class TypedStore implements Store {
  readonly #inner: Store;
  readonly #url: string;
  readonly minTtl: number;
  // Bound once: the lock path passes it to every call.
  readonly #fail = (error: unknown): never => {
    throw this.#typed(error, undefined);
  };

  constructor(inner: Store, url: string) {
    this.#inner = inner;
    this.#url = url;
    this.minTtl = inner.minTtl;
    if (inner.waitFirst) {
      this.waitFirst = (dir, createRev, signal) =>
        inner.waitFirst!(dir, createRev, signal).catch((error) => {
          throw this.#typed(error, signal);
        });
    }
  }

  #typed(error: unknown, signal: AbortSignal | undefined): unknown {
    if (error instanceof CoordinatorUnavailableError) return error;
    if (signal?.aborted && error === signal.reason) return error;
    const detail = error instanceof Error ? error.message : String(error);
    return new CoordinatorUnavailableError(this.#url, detail, { cause: error });
  }

  grant(ttl: number): Promise<string> {
    return this.#inner.grant(ttl).catch(this.#fail);
  }

  keepAlive(lease: string, ttl: number): Promise<boolean> {
    return this.#inner.keepAlive(lease, ttl).catch(this.#fail);
  }

  revoke(lease: string, queueKeys?: Iterable<string>): Promise<void> {
    return this.#inner.revoke(lease, queueKeys).catch(this.#fail);
  }

  create(
    dir: string,
    key: string,
    value: string,
    lease: string,
    o?: WriteOptions,
  ): Promise<Created> {
    return this.#inner.create(dir, key, value, lease, o).catch(this.#fail);
  }

  put(dir: string, key: string, value: string, lease: string): Promise<bigint> {
    return this.#inner.put(dir, key, value, lease).catch(this.#fail);
  }

  before(dir: string, rev: bigint): Promise<{ kv: KV | undefined; rev: bigint }> {
    return this.#inner.before(dir, rev).catch(this.#fail);
  }

  range(dir: string): Promise<{ kvs: KV[]; rev: bigint }> {
    return this.#inner.range(dir).catch(this.#fail);
  }

  delete(dir: string, key: string, o?: WriteOptions): Promise<void> {
    return this.#inner.delete(dir, key, o).catch(this.#fail);
  }

  async *watch(
    dir: string,
    key: string | undefined,
    fromRev: bigint,
    signal: AbortSignal,
  ): AsyncGenerator<StoreEvent> {
    try {
      yield* this.#inner.watch(dir, key, fromRev, signal);
    } catch (error) {
      throw this.#typed(error, signal);
    }
  }

  waitFirst?: (dir: string, createRev: bigint, signal: AbortSignal) => Promise<void>;

  closing(): void {
    this.#inner.closing?.();
  }

  close(): Promise<void> {
    return this.#inner.close().catch(this.#fail);
  }
}
