// deno-lint-ignore-file camelcase -- etcd gateway JSON uses snake_case field names
// The etcd driver's key space: etcd's v3 JSON gateway over a small HTTP/1.1 client (_http.ts, no
// dependency). Keys are base64, 64-bit integers arrive as strings, zero values are omitted.
// Requests go to one endpoint and move to the next on a network error or a 5xx (a killed or
// leaderless member), retrying until the deadline: every request used here is idempotent
// (create-if-absent by a unique key, delete, put, keepalive) except grant, whose orphan lease
// expires by itself.

import { HttpClient } from "./_http.ts";
import {
  CLOSE_BUDGET_MS,
  type Created,
  type KV,
  LeaseGoneError,
  type Store,
  type StoreEvent,
  type WriteOptions,
} from "./_store.ts";
import { abortPromise } from "./_abort.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function b64(s: string): string {
  let bin = "";
  for (const byte of encoder.encode(s)) bin += String.fromCharCode(byte);
  return btoa(bin);
}

function unb64(s: string | undefined): string {
  if (!s) return "";
  return decoder.decode(Uint8Array.from(atob(s), (c) => c.charCodeAt(0)));
}

// "a/" -> "a0": the end of the range of keys starting with the directory.
function dirEnd(dir: string): string {
  return dir.slice(0, -1) + String.fromCharCode(dir.charCodeAt(dir.length - 1) + 1);
}

interface RawKV {
  key?: string;
  value?: string;
  create_revision?: string;
  mod_revision?: string;
}

interface RawHeader {
  revision?: string;
}

interface RawRange {
  header?: RawHeader;
  kvs?: RawKV[];
  count?: string;
}

interface WatchMessage {
  result?: {
    created?: boolean;
    compact_revision?: string;
    events?: { type?: string; kv: RawKV }[];
  };
  error?: { message?: string };
}

function kvOf(raw: RawKV): KV {
  return {
    key: unb64(raw.key),
    value: unb64(raw.value),
    createRev: BigInt(raw.create_revision ?? "0"),
    modRev: BigInt(raw.mod_revision ?? "0"),
  };
}

/** A request the server answered with an error (not retried). */
export class EtcdError extends Error {
  constructor(readonly status: number, detail: string) {
    super(`etcd answered ${status}: ${detail}`);
    this.name = "EtcdError";
  }
}

const SORT_DESCEND = 2;
const SORT_ASCEND = 1;
const TARGET_CREATE = 2;
const COMPARE_CREATE = 1;
const REQUEST_TIMEOUT = 5_000;

export class EtcdStore implements Store {
  readonly minTtl = 2_000;
  #endpoints: string[];
  readonly #http = new HttpClient();
  #current = 0;
  #retryFor: number;
  #requestTimeout: number;
  #closed = new AbortController();
  // Aborted by closing(): ends every call under way (see #call).
  readonly #closing = new AbortController();

  /**
   * @param hosts `host:port` of every member.
   * @param retryFor How long a request keeps moving between endpoints before it fails (ms).
   */
  constructor(hosts: string[], retryFor: number) {
    this.#endpoints = hosts;
    this.#retryFor = retryFor;
    // Several tries fit in the budget, so a member stuck in an election is left for another.
    this.#requestTimeout = Math.min(REQUEST_TIMEOUT, Math.max(500, retryFor / 3));
  }

  #rotate(from: number): void {
    if (this.#current !== from) return;
    this.#current = (from + 1) % this.#endpoints.length;
    // A mirror's stream on the member the requests just left (killed, cut off, or without a
    // leader) may go silent without breaking: it follows them.
    for (const m of this.#mirrors.values()) if (m.conn?.at === from) m.conn.controller.abort();
  }

  async #call<T>(path: string, body: unknown): Promise<T> {
    // A call made once closing() ran (the lease's revoke) is best effort: it gets
    // CLOSE_BUDGET_MS in all, and nothing ends it early. Any other call ends as soon as
    // closing() runs.
    const closing = this.#closing.signal.aborted;
    const stop = closing ? undefined : this.#closing.signal;
    const budget = closing ? CLOSE_BUDGET_MS : this.#retryFor;
    const deadline = performance.now() + budget;
    const text = JSON.stringify(body);
    let lastError: unknown;
    for (let attempt = 0;; attempt++) {
      if (this.#closed.signal.aborted) throw new Error("store closed");
      stop?.throwIfAborted();
      const at = this.#current;
      const controller = new AbortController();
      // While closing, no try outlasts the budget.
      const timeout = closing
        ? Math.max(1, Math.min(this.#requestTimeout, deadline - performance.now()))
        : this.#requestTimeout;
      const timer = setTimeout(() => controller.abort(), timeout);
      const onStop = (): void => controller.abort(stop!.reason);
      stop?.addEventListener("abort", onStop, { once: true });
      try {
        const response = await this.#http.post(this.#endpoints[at]!, path, text, controller.signal);
        clearTimeout(timer);
        const json = JSON.parse(response.text) as T & { error?: string; message?: string };
        if (response.status === 200) return json;
        const detail = json.message ?? json.error ?? `status ${response.status}`;
        if (/lease not found/.test(detail)) throw new LeaseGoneError(detail);
        if (response.status < 500) throw new EtcdError(response.status, detail);
        lastError = new EtcdError(response.status, detail);
      } catch (error) {
        if (error instanceof LeaseGoneError || error instanceof EtcdError) throw error;
        // Ended by closing(), not by the member: no reason to move to another one.
        if (stop?.aborted) throw stop.reason;
        lastError = error;
      } finally {
        clearTimeout(timer);
        stop?.removeEventListener("abort", onStop);
      }
      this.#rotate(at);
      if (performance.now() > deadline) {
        throw new Error(
          `etcd did not answer ${path} within ${budget} ms: ${String(lastError)}`,
          {
            cause: lastError,
          },
        );
      }
      if (attempt >= this.#endpoints.length - 1) {
        let pause = Math.min(100 * attempt, 500);
        if (closing) pause = Math.min(pause, Math.max(0, deadline - performance.now()));
        const stopped = abortPromise(stop ?? this.#closed.signal);
        let wait: ReturnType<typeof setTimeout> | undefined;
        try {
          await Promise.race([new Promise((r) => wait = setTimeout(r, pause)), stopped.promise]);
        } finally {
          clearTimeout(wait);
          stopped.detach();
        }
      }
    }
  }

  async grant(ttl: number): Promise<string> {
    const r = await this.#call<{ ID: string }>("/v3/lease/grant", { TTL: Math.ceil(ttl / 1000) });
    return r.ID;
  }

  async keepAlive(lease: string): Promise<boolean> {
    const r = await this.#call<{ result?: { TTL?: string } }>("/v3/lease/keepalive", { ID: lease });
    return r.result?.TTL !== undefined && r.result.TTL !== "0";
  }

  async revoke(lease: string): Promise<void> {
    try {
      await this.#call("/v3/lease/revoke", { ID: lease });
    } catch (error) {
      if (!(error instanceof LeaseGoneError)) throw error;
    }
  }

  async create(
    dir: string,
    key: string,
    value: string,
    lease: string,
    o?: WriteOptions,
  ): Promise<Created> {
    const k = b64(key);
    const put = { request_put: { key: k, value: b64(value), lease } };
    if (o?.own && !this.#contended.has(dir)) {
      // Expecting an empty directory: a txn that only writes, its compare over the directory
      // (etcd compares an empty range as one zero key, and every key has a create revision above
      // 0). Any read in a txn, even in its untaken branch, costs ~0.1 ms more on the server. The
      // key is put either way (its own: a put keeps the create revision of a key that was there),
      // so it queues as early as with one txn; what is ahead is read next.
      const r = await this.#call<{ header: RawHeader; succeeded?: boolean }>("/v3/kv/txn", {
        compare: [{
          key: b64(dir),
          range_end: b64(dirEnd(dir)),
          target: COMPARE_CREATE,
          create_revision: "0",
        }],
        success: [put],
        failure: [put],
      });
      const rev = BigInt(r.header.revision ?? "0");
      if (r.succeeded) return { createRev: rev, created: true, ahead: undefined, rev };
      this.#markContended(dir);
      const read = await this.#call<{
        header: RawHeader;
        responses?: { response_range?: RawRange }[];
      }>("/v3/kv/txn", {
        success: [
          { request_range: { key: k, keys_only: true } },
          {
            request_range: {
              key: b64(dir),
              range_end: b64(dirEnd(dir)),
              max_create_revision: String(rev),
              sort_order: SORT_DESCEND,
              sort_target: TARGET_CREATE,
              limit: 2,
              keys_only: true,
            },
          },
        ],
      });
      const mine = read.responses?.[0]?.response_range?.kvs?.[0];
      const createRev = BigInt(mine?.create_revision ?? "0");
      if (createRev === rev) {
        // Created by that put: the newest key up to it is this one, the next the one ahead.
        const raw = read.responses?.[1]?.response_range?.kvs?.[1];
        return {
          createRev,
          created: true,
          ahead: raw ? kvOf(raw) : undefined,
          rev: BigInt(read.header.revision ?? "0"),
        };
      }
      if (mine) {
        // There before (a retried request whose first try was applied): look ahead of it.
        const { kv, rev: at } = await this.before(dir, createRev);
        return { createRev, created: false, ahead: kv, rev: at };
      }
      // Gone again already (its lease expired): the create-if-absent below tells.
    }
    const r = await this.#call<
      {
        header: RawHeader;
        succeeded?: boolean;
        responses?: { response_range?: RawRange }[];
      }
    >("/v3/kv/txn", {
      compare: [{ key: k, target: COMPARE_CREATE, create_revision: "0" }],
      success: [
        put,
        // The new key is the newest: the two newest are it and the one just ahead of it.
        {
          request_range: {
            key: b64(dir),
            range_end: b64(dirEnd(dir)),
            sort_order: SORT_DESCEND,
            sort_target: TARGET_CREATE,
            limit: 2,
          },
        },
      ],
      failure: [{ request_range: { key: k } }],
    });
    if (r.succeeded) {
      const rev = BigInt(r.header.revision ?? "0");
      const raw = r.responses?.[1]?.response_range?.kvs?.[1];
      // Found alone: the next create here tries the write-only txn again.
      if (!raw) this.#contended.delete(dir);
      return { createRev: rev, created: true, ahead: raw ? kvOf(raw) : undefined, rev };
    }
    // The key was there (a retried request, or a tick already claimed): look ahead of it.
    const mine = r.responses?.[0]?.response_range?.kvs?.[0];
    const createRev = BigInt(mine?.create_revision ?? "0");
    const { kv, rev } = await this.before(dir, createRev);
    return { createRev, created: false, ahead: kv, rev };
  }

  // Directories whose last create found other keys: the next create there reads at once instead
  // of first trying the write-only txn (one round trip more each time under steady contention).
  // Bounded: forgetting a directory costs one round trip.
  readonly #contended = new Set<string>();

  #markContended(dir: string): void {
    if (this.#contended.size >= 1024) this.#contended.clear();
    this.#contended.add(dir);
  }

  async put(_dir: string, key: string, value: string, lease: string): Promise<bigint> {
    const r = await this.#call<{ header: RawHeader }>("/v3/kv/put", {
      key: b64(key),
      value: b64(value),
      lease,
    });
    return BigInt(r.header.revision ?? "0");
  }

  async before(dir: string, rev: bigint): Promise<{ kv: KV | undefined; rev: bigint }> {
    const r = await this.#call<RawRange>("/v3/kv/range", {
      key: b64(dir),
      range_end: b64(dirEnd(dir)),
      max_create_revision: String(rev - 1n),
      sort_order: SORT_DESCEND,
      sort_target: TARGET_CREATE,
      limit: 1,
    });
    const raw = r.kvs?.[0];
    return { kv: raw ? kvOf(raw) : undefined, rev: BigInt(r.header?.revision ?? "0") };
  }

  async range(dir: string): Promise<{ kvs: KV[]; rev: bigint }> {
    const r = await this.#call<RawRange>("/v3/kv/range", {
      key: b64(dir),
      range_end: b64(dirEnd(dir)),
      sort_order: SORT_ASCEND,
      sort_target: TARGET_CREATE,
    });
    return { kvs: (r.kvs ?? []).map(kvOf), rev: BigInt(r.header?.revision ?? "0") };
  }

  async delete(_dir: string, key: string): Promise<void> {
    await this.#call("/v3/kv/deleterange", { key: b64(key) });
  }

  // One watch stream of the gateway: its messages, one per line, parsed. Its connection is closed
  // however the consumer leaves, so no stream outlives its watcher.
  async *#watchStream(
    at: number,
    createRequest: Record<string, string>,
    stop: AbortSignal,
  ): AsyncGenerator<WatchMessage> {
    const body = JSON.stringify({ create_request: createRequest });
    for await (const raw of this.#http.lines(this.#endpoints[at]!, "/v3/watch", body, stop)) {
      const line = raw.trim();
      if (!line) continue;
      const msg = JSON.parse(line) as WatchMessage;
      if (msg.error) throw new Error(msg.error.message ?? "watch error");
      yield msg;
    }
    throw new Error("watch stream ended");
  }

  async *watch(
    dir: string,
    key: string | undefined,
    fromRev: bigint,
    signal: AbortSignal,
  ): AsyncGenerator<StoreEvent> {
    let next = fromRev;
    const stop = AbortSignal.any([signal, this.#closed.signal]);
    const aborted = abortPromise(stop);
    try {
      while (true) {
        stop.throwIfAborted();
        const at = this.#current;
        const request = key === undefined
          ? { key: b64(dir), range_end: b64(dirEnd(dir)), start_revision: String(next) }
          : { key: b64(key), start_revision: String(next) };
        try {
          for await (const { result } of this.#watchStream(at, request, stop)) {
            if (result?.compact_revision && result.compact_revision !== "0") {
              throw new EtcdError(410, `revision ${next} compacted`);
            }
            for (const ev of result?.events ?? []) {
              const kv = kvOf(ev.kv);
              next = kv.modRev + 1n;
              yield {
                type: ev.type === "DELETE" ? "delete" : "put",
                key: kv.key,
                value: kv.value,
                createRev: kv.createRev,
                modRev: kv.modRev,
              };
            }
          }
        } catch (error) {
          if (stop.aborted) throw stop.reason;
          if (error instanceof EtcdError && error.status === 410) throw error;
          this.#rotate(at);
          await Promise.race([new Promise((r) => setTimeout(r, 100)), aborted.promise]);
        }
      }
    } finally {
      aborted.detach();
    }
  }

  // Lock and election queues this store waits in, each mirrored by one watch stream of its
  // directory, so a wait needs no request of its own and a hand-off no second look: the next
  // holder sees the delete of the last key older than its own. A mirror lingers a while after
  // its last waiter left, as the same process usually queues there again soon.
  readonly #mirrors = new Map<string, Mirror>();
  // Mirrors let go after lingering whose streams are still being torn down (close() awaits them).
  readonly #ending = new Set<Promise<void>>();

  async waitFirst(dir: string, createRev: bigint, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.#closed.signal.throwIfAborted();
    let mirror = this.#mirrors.get(dir);
    if (!mirror) {
      mirror = new Mirror();
      this.#mirrors.set(dir, mirror);
      mirror.done = this.#runMirror(dir, mirror);
    }
    clearTimeout(mirror.idle);
    const aborted = abortPromise(AbortSignal.any([signal, this.#closed.signal]));
    let waiter: Waiter | undefined;
    try {
      await Promise.race([
        new Promise<void>((resolve) => {
          waiter = { createRev, resolve };
          mirror.waiters.add(waiter);
          mirror.settle();
        }),
        aborted.promise,
      ]);
    } finally {
      aborted.detach();
      mirror.waiters.delete(waiter!);
      if (mirror.waiters.size === 0 && !this.#closed.signal.aborted) {
        const m = mirror;
        m.idle = setTimeout(() => {
          if (m.waiters.size > 0) return;
          this.#mirrors.delete(dir);
          m.stop.abort();
          this.#ending.add(m.done);
          m.done.finally(() => this.#ending.delete(m.done));
        }, MIRROR_LINGER);
        Deno.unrefTimer(m.idle);
      }
    }
  }

  // Keeps `mirror` equal to the directory: a watch from now on (a watch from an older revision
  // is "unsynced" in etcd and only caught up every 100 ms), then a range of what is there, then
  // the events after the range's revision. A broken stream, or a move of the other requests to
  // another member, starts over with a new watch and range.
  async #runMirror(dir: string, mirror: Mirror): Promise<void> {
    const stop = AbortSignal.any([mirror.stop.signal, this.#closed.signal]);
    const aborted = abortPromise(stop);
    const request = { key: b64(dir), range_end: b64(dirEnd(dir)) };
    try {
      while (!stop.aborted) {
        const at = this.#current;
        const conn = new AbortController();
        mirror.conn = { at, controller: conn };
        const connStop = AbortSignal.any([stop, conn.signal]);
        const connAborted = abortPromise(connStop);
        mirror.rev = 0n;
        try {
          for await (
            const { result } of this.#watchStream(at, request, connStop)
          ) {
            if (result?.created) {
              const r = await Promise.race([
                this.#call<RawRange>("/v3/kv/range", { ...request, keys_only: true }),
                connAborted.promise,
              ]);
              mirror.keys.clear();
              for (const raw of r.kvs ?? []) {
                mirror.keys.set(unb64(raw.key), BigInt(raw.create_revision ?? "0"));
              }
              mirror.rev = BigInt(r.header?.revision ?? "0");
            } else {
              for (const ev of result?.events ?? []) {
                const modRev = BigInt(ev.kv.mod_revision ?? "0");
                // Already in the range, or before the mirror's first range (none yet).
                if (mirror.rev === 0n || modRev <= mirror.rev) continue;
                const key = unb64(ev.kv.key);
                if (ev.type === "DELETE") mirror.keys.delete(key);
                else mirror.keys.set(key, BigInt(ev.kv.create_revision ?? "0"));
                mirror.rev = modRev;
              }
            }
            mirror.settle();
          }
        } catch {
          if (stop.aborted) return;
          if (!conn.signal.aborted) this.#rotate(at);
          await Promise.race([new Promise((r) => setTimeout(r, 100)), aborted.promise]).catch(
            () => {},
          );
        } finally {
          connAborted.detach();
        }
      }
    } finally {
      aborted.detach();
      mirror.conn = undefined;
    }
  }

  closing(): void {
    this.#closing.abort(new Error("store closing"));
  }

  async close(): Promise<void> {
    this.closing();
    this.#closed.abort(new Error("store closed"));
    const mirrors = [...this.#mirrors.values()];
    this.#mirrors.clear();
    for (const m of mirrors) clearTimeout(m.idle);
    await Promise.all([...mirrors.map((m) => m.done), ...this.#ending]);
    this.#http.close();
  }
}

const MIRROR_LINGER = 1_000;

interface Waiter {
  createRev: bigint;
  resolve: () => void;
}

// A lock or election directory as a watch stream last showed it: key -> create revision.
class Mirror {
  readonly keys = new Map<string, bigint>();
  // The revision `keys` is exact at; 0 while a (new) stream has not read the directory yet.
  rev = 0n;
  readonly waiters = new Set<Waiter>();
  readonly stop = new AbortController();
  conn: { at: number; controller: AbortController } | undefined;
  idle: ReturnType<typeof setTimeout> | undefined;
  done: Promise<void> = Promise.resolve();

  // Lets go every waiter whose key the mirror has seen created (its revision is reached) with no
  // older key left: keys created later are younger, so that cannot change.
  settle(): void {
    if (this.rev === 0n) return;
    for (const w of this.waiters) {
      if (this.rev < w.createRev) continue;
      let first = true;
      for (const c of this.keys.values()) {
        if (c < w.createRev) {
          first = false;
          break;
        }
      }
      if (first) {
        this.waiters.delete(w);
        w.resolve();
      }
    }
  }
}
