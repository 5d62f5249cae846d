// The storage seam under every driver: an etcd-shaped key space (revisions, leases, ordered
// directories, watches that resume from a revision). Locks, elections, groups and periodic ticks
// are written once against it; the etcd driver maps it one to one, the Redis driver emulates it
// with Lua scripts, the memory driver keeps it in a Map.

/** A key with its value and revisions. */
export interface KV {
  key: string;
  value: string;
  createRev: bigint;
  modRev: bigint;
}

/** A change under a watched directory; for a delete, `value` is empty and `modRev` the delete's. */
export interface StoreEvent {
  type: "put" | "delete";
  key: string;
  value: string;
  createRev: bigint;
  modRev: bigint;
  /** A delete of a key no older key was beside (only stores that know it say so). */
  oldest?: boolean;
}

/** What {@linkcode Store.create} answers. */
export interface Created {
  createRev: bigint;
  created: boolean;
  /** The newest key under the directory created before this one. */
  ahead: KV | undefined;
  /** The store revision `ahead` was read at. */
  rev: bigint;
}

/**
 * How a directory is watched, told on writes so a store can leave out events nobody reads.
 * `queue`: a lock queue, watched only by the owners of its own keys, each for the delete of the
 * one key ahead of its own (never a watch of the whole directory): its put events, and the delete
 * of a key that leaves the directory empty (no key is left to wait), may be left out; the key
 * may be left out of the store's index of its lease's keys (revoke() is told it instead).
 */
export interface WriteOptions {
  queue?: boolean;
  /**
   * `own`: the key is named after this session's lease, so no other session writes it: a store
   * may overwrite it unconditionally (a put keeps an existing key's create revision).
   */
  own?: boolean;
}

/** The lease is gone on the server (expired or revoked). */
export class LeaseGoneError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = "LeaseGoneError";
  }
}

/**
 * What a store call made once {@linkcode Store.closing} ran (the lease's revoke) may take in all,
 * ms: a live server answers in milliseconds, and a lease left behind by a frozen one still
 * expires with its TTL.
 */
export const CLOSE_BUDGET_MS = 1_000;

export interface Store {
  /** The engine's shortest lease in ms. */
  readonly minTtl: number;
  grant(ttl: number): Promise<string>;
  /** false: the lease is gone. Rejects when the server cannot be reached. */
  keepAlive(lease: string, ttl: number): Promise<boolean>;
  /**
   * Ends the lease and deletes its keys. `queueKeys`: the lock-queue keys of this lease that may
   * still exist (a store may keep queue keys out of its own index of a lease's keys, so that the
   * lock path never writes it); a key there of another lease is left alone.
   */
  revoke(lease: string, queueKeys?: Iterable<string>): Promise<void>;
  /**
   * Creates `key` (under `dir`, bound to `lease`) unless it exists. Returns its create revision,
   * whether this call created it, and what `before(dir, createRev)` would answer at that moment
   * (the newest key created before it, and the store revision), so a queue needs no second call.
   */
  create(
    dir: string,
    key: string,
    value: string,
    lease: string,
    o?: WriteOptions,
  ): Promise<Created>;
  /** Creates or overwrites `key`; returns its mod revision. */
  put(dir: string, key: string, value: string, lease: string): Promise<bigint>;
  /** The newest key under `dir` created before `rev`, and the store revision of the answer. */
  before(dir: string, rev: bigint): Promise<{ kv: KV | undefined; rev: bigint }>;
  /** Every key under `dir`, oldest first, and the store revision of the answer. */
  range(dir: string): Promise<{ kvs: KV[]; rev: bigint }>;
  delete(dir: string, key: string, o?: WriteOptions): Promise<void>;
  /**
   * Changes under `dir` (only of `key` when given) from revision `fromRev` on, in order, resuming
   * after a broken stream without a gap; ends by rejecting with `signal.reason`.
   */
  watch(
    dir: string,
    key: string | undefined,
    fromRev: bigint,
    signal: AbortSignal,
  ): AsyncIterable<StoreEvent>;
  /**
   * Optional fast path: resolves once no key created before `createRev` is left under `dir` (the
   * key created at `createRev` is then the oldest there), rejects with `signal.reason`.
   */
  waitFirst?(dir: string, createRev: bigint, signal: AbortSignal): Promise<void>;
  /**
   * Optional: the coordinator is closing. Ends every call under way at once (it rejects), and
   * bounds each call made afterwards (the lease's revoke) to a short budget, so close() neither
   * waits out the retries of requests nobody needs any more nor hangs on a frozen server.
   */
  closing?(): void;
  close(): Promise<void>;
}
