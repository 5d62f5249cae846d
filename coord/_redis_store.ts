// The Redis driver's key space, emulating the etcd shape with Lua scripts (each one atomic on a
// single Redis): a global revision counter (INCR; seeded from the server's clock, see nextRev)
// gives create revisions, hence fencing tokens;
// a lease is a set of its keys with PX expiry that keepalives extend; a directory is one hash of
// its keys (each "createRev modRev lease value"), so one HGETALL both lists and orders it (queues
// are short) and tells which leases to check; every change is appended to the directory's stream
// with the revision as its id, so a watch resumes with XREAD from any revision (a lock queue
// leaves out the events nobody reads: its puts, and the delete that empties it). A queue's waiter
// does not read that stream: it blocks on a wake stream of its own (see waitFirst), which the
// removal of the oldest key adds to for the key after it, so a hand-off wakes the next holder only.
// Every redis.call in a script costs about a microsecond of server time, so the lock path makes
// few: uncontended, three to create and two to delete (a lock queue's keys join no lease set, the
// client names them at revoke instead), before the shared functions are even defined. Keys of
// an expired lease are removed (with their delete events) by whichever client next touches the
// directory: watchers and waiters do so every TTL/8 (at most 250 ms) while blocked, so a dead
// holder's key goes within TTL + 250 ms.

import { isConnectionLost, type Reply, RespConnection, RespError } from "./_resp.ts";
import {
  CLOSE_BUDGET_MS,
  type Created,
  type KV,
  LeaseGoneError,
  type Store,
  type StoreEvent,
  type WriteOptions,
} from "./_store.ts";
import { abortPromise, openUnlessAborted } from "./_abort.ts";

// Every key's prefix (the client's XREAD names log keys with it too).
const PREFIX = "fjord:";
// The pause before a blocking read (a watch, a wait) retries on a new connection after a failure.
const RETRY_MS = 100;

// What the uncontended paths use: defined first, the rest of the shared functions only past them.
const PRELUDE = `
local P = '${PREFIX}'
local function xadd(dir, rev, t, key, c, v, o)
  redis.call('XADD', P..'log:'..dir, 'MAXLEN', '~', 10000, rev..'-0', 't', t, 'k', key, 'c', c, 'v', v, 'o', o)
end
local function leaseGone(l) return redis.error_reply('LEASEGONE lease '..l..' not found') end
-- The next revision (create revisions are the fencing tokens). A fresh counter, on a new server or
-- one restarted without persistence, starts at the server's clock in 100 µs units: past every
-- token the lost counter gave unless it averaged over 10 000 revisions a second since its own
-- start (or the clock went back), so tokens keep increasing across the restart and fenced
-- resources accept the new holders. 14 digits until the year 2286: Lua's number formatting
-- (%.14g) prints them exactly.
local function nextRev()
  local r = redis.call('INCR', P..'rev')
  if r > 1 then return r end
  local t = redis.call('TIME')
  r = tonumber(t[1]) * 10000 + math.floor(tonumber(t[2]) / 100)
  redis.call('SET', P..'rev', r)
  return r
end
`;

const LIB_REST = `
-- The entries of dir, oldest first: {k = key, c = create rev, n = tonumber(c), m = mod rev,
-- l = lease, v = value}.
local function list(dir)
  local all = redis.call('HGETALL', P..'dir:'..dir)
  local out = {}
  for i = 1, #all, 2 do
    local c, m, l, v = string.match(all[i + 1], '^(%d+) (%d+) (%S+) (.*)$')
    out[#out + 1] = {k = all[i], c = c, n = tonumber(c), m = m, l = l, v = v}
  end
  if #out > 1 then table.sort(out, function(a, b) return a.n < b.n end) end
  return out
end
-- oldest: no older key was there (a waiter right behind it then needs no second look);
-- quiet: a lock queue left empty (see WriteOptions), whose delete nobody waits for.
local function remove(dir, e, oldest, quiet)
  redis.call('HDEL', P..'dir:'..dir, e.k)
  redis.call('SREM', P..'lease:'..e.l, e.k)
  -- A wake (see wake) its waiter gave up on before reading it.
  redis.call('DEL', P..'wake:'..dir..e.c)
  if quiet then return end
  local rev = nextRev()
  xadd(dir, rev, 'd', e.k, e.c, '', oldest and '1' or '')
end
-- Tells the owner of entry e, now the oldest under dir, that it is: it may be blocked in
-- waitFirst on this stream (XREAD BLOCK, which takes milliseconds on Redis 5, where BLPOP takes
-- whole seconds). The waiter deletes it as it reads it; one nobody read goes with e (see
-- remove), or after a minute.
local function wake(dir, e)
  local w = P..'wake:'..dir..e.c
  redis.call('XADD', w, '*', 'w', '1')
  redis.call('PEXPIRE', w, 60000)
end
local function del(dir, key, q)
  local es = list(dir)
  for i, e in ipairs(es) do
    if e.k == key then
      remove(dir, e, i == 1, q and #es == 1)
      if i == 1 and es[2] then wake(dir, es[2]) end
      return
    end
  end
end
-- Removes the keys of expired leases under dir; returns the live entries (oldest first) and
-- whether lease l (when given) is alive. All leases are checked with one EXISTS when all live.
local function reap(dir, l)
  local es = list(dir)
  local seen, names = {}, {}
  if l then seen[l] = false ; names[1] = P..'lease:'..l end
  for _, e in ipairs(es) do
    if seen[e.l] == nil then seen[e.l] = false ; names[#names + 1] = P..'lease:'..e.l end
  end
  local all = #names > 0 and #names <= 200 and redis.call('EXISTS', unpack(names)) == #names
  for id in pairs(seen) do seen[id] = all or redis.call('EXISTS', P..'lease:'..id) == 1 end
  local live, headGone = {}, false
  for _, e in ipairs(es) do
    if seen[e.l] then
      live[#live + 1] = e
    else
      if #live == 0 then headGone = true end
      remove(dir, e, #live == 0, false)
    end
  end
  if headGone and live[1] then wake(dir, live[1]) end
  return live, l == nil or seen[l]
end
local function kv(e)
  if not e then return {} end
  return {e.k, e.v, e.c, e.m}
end
local function rev() return redis.call('GET', P..'rev') or '0' end
`;

const LIB = `${PRELUDE}${LIB_REST}`;

// The uncontended path, run before LIB_REST is even defined: an empty directory (EXISTS counts the
// repeated name twice, so 1 means a live lease and no key there) takes three calls and answers
// the bare revision. A lock queue's key joins no lease set: revoke is told the keys instead (see
// revoke), so the lock path never touches the set and its release needs no lease either.
const FAST_CREATE = `
local dir, key, v, l, q = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5] == '1'
local fd, fl = P..'dir:'..dir, P..'lease:'..l
local n = redis.call('EXISTS', fl, fd, fd)
if n == 0 then return leaseGone(l) end
if n == 1 then
  local r = nextRev()
  redis.call('HSET', fd, key, r..' '..r..' '..l..' '..v)
  if not q then
    redis.call('SADD', fl, key)
    xadd(dir, r, 'p', key, r, v, '')
  end
  return r
end`;

const SCRIPTS = {
  // Past the fast path, one listing of the directory reaps it, finds the key ahead (the newest
  // live key before this one) and, with the same EXISTS, checks the caller's lease.
  create: `${PRELUDE}${FAST_CREATE}${LIB_REST}
local live, ok = reap(dir, l)
if not ok then return leaseGone(l) end
local ahead
for _, e in ipairs(live) do
  if e.k == key then return {e.c, 0, kv(ahead), rev()} end
  ahead = e
end
local r = nextRev()
local c = tostring(r)
redis.call('HSET', P..'dir:'..dir, key, c..' '..c..' '..l..' '..v)
if not q then redis.call('SADD', P..'lease:'..l, key) ; xadd(dir, r, 'p', key, c, v, '') end
return {c, r, kv(ahead), c}`,
  put: `${LIB}
local dir, key, v, l = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if redis.call('EXISTS', P..'lease:'..l) == 0 then return leaseGone(l) end
local d = P..'dir:'..dir
local old = redis.call('HGET', d, key)
local r = nextRev()
local c, ol = tostring(r), nil
if old then c, ol = string.match(old, '^(%d+) %d+ (%S+) ') end
redis.call('HSET', d, key, c..' '..r..' '..l..' '..v)
-- Taken over by another lease: the old one's revoke must not delete it.
if ol and ol ~= l then redis.call('SREM', P..'lease:'..ol, key) end
redis.call('SADD', P..'lease:'..l, key)
xadd(dir, r, 'p', key, c, v, '')
return tostring(r)`,
  before: `${LIB}
local dir, r = ARGV[1], tonumber(ARGV[2])
local k
for _, e in ipairs(reap(dir)) do
  if e.n >= r then break end
  k = e
end
return {rev(), kv(k)}`,
  range: `${LIB}
local live = reap(ARGV[1])
local out = {rev()}
for _, e in ipairs(live) do out[#out + 1] = kv(e) end
return out`,
  delete: `${PRELUDE}
local dir, key, q = ARGV[1], ARGV[2], ARGV[3] == '1'
-- A lock queue holding at most this key: a quiet delete, and its key is in no lease set.
if q and redis.call('HLEN', P..'dir:'..dir) <= 1 then
  return redis.call('HDEL', P..'dir:'..dir, key)
end
${LIB_REST}
del(dir, key, q)
return 1`,
  reap: `${LIB}
reap(ARGV[1])
return rev()`,
  // waitFirst's look after a quiet wait: 1 when the key created at ARGV[2] is the oldest live
  // one (a key gone with its lease, or with the server's data, waits on: the session is lost).
  first: `${LIB}
local dir, r = ARGV[1], ARGV[2]
local live = reap(dir)
if not live[1] or live[1].c ~= r then return 0 end
redis.call('DEL', P..'wake:'..dir..r)
return 1`,
  // The id is the counter and the client's random nonce (ARGV[2]): an unpersisted Redis restarts
  // its counter at 0, and an id granted again would let a member from before the restart keep
  // alive, and revoke, a lease that is now someone else's (it would never see its own loss).
  grant: `${LIB}
local id = redis.call('INCR', P..'leaseid')..'-'..ARGV[2]
-- The lease is a set of its keys; the member '' keeps it alive while it holds none.
redis.call('SADD', P..'lease:'..id, '')
redis.call('PEXPIRE', P..'lease:'..id, ARGV[1])
return id`,
  keepalive: `${LIB}
return redis.call('PEXPIRE', P..'lease:'..ARGV[1], ARGV[2])`,
  // Lock queue keys are in no lease set: the client names the ones it may still have (ARGV[2..]),
  // and only those of this lease are deleted.
  revoke: `${LIB}
local l = ARGV[1]
for _, k in ipairs(redis.call('SMEMBERS', P..'lease:'..l)) do
  if k ~= '' then del(string.match(k, '^(.*/)'), k) end
end
for i = 2, #ARGV do
  local k = ARGV[i]
  local dir = string.match(k, '^(.*/)')
  local e = dir and redis.call('HGET', P..'dir:'..dir, k)
  if e and string.match(e, '^%d+ %d+ (%S+) ') == l then del(dir, k) end
end
redis.call('DEL', P..'lease:'..l)
return 1`,
};

type ScriptName = keyof typeof SCRIPTS;

function kvOf(r: Reply): KV | undefined {
  if (!Array.isArray(r) || r.length < 4) return undefined;
  return {
    key: String(r[0]),
    value: String(r[1] ?? ""),
    createRev: BigInt(String(r[2])),
    modRev: BigInt(String(r[3])),
  };
}

export class RedisStore implements Store {
  readonly minTtl = 500;
  #host: string;
  #port: number;
  #conn: RespConnection;
  #shas = new Map<ScriptName, string>();
  #watchers = new Set<RespConnection>();
  #idle: RespConnection[] = [];
  #reapEvery: number;
  // How long a reply may take (see open()).
  #timeout: number;
  #closed = new AbortController();
  // Aborted by closing(): the calls made from then on (the lease's revoke) are best effort.
  readonly #closing = new AbortController();
  // One reopen of the main connection at a time, so concurrent calls share it instead of racing;
  // `closing`: begun after closing() (see #mainConn).
  #reopening: { closing: boolean; conn: Promise<RespConnection> } | undefined;

  private constructor(
    host: string,
    port: number,
    conn: RespConnection,
    reapEvery: number,
    timeout: number,
  ) {
    this.#host = host;
    this.#port = port;
    this.#conn = conn;
    this.#reapEvery = reapEvery;
    this.#timeout = timeout;
  }

  static async open(host: string, port: number, ttl: number): Promise<RedisStore> {
    // A frozen or black-holed server accepts the connection (the kernel does) and never answers:
    // a request gives up after the TTL (at least 2 s, as etcd's), as etcd's requests do, so that
    // connect(), close() and every call fail instead of hanging forever.
    const timeout = Math.max(2_000, ttl);
    const conn = await RespConnection.open(host, port, timeout);
    const store = new RedisStore(
      host,
      port,
      conn,
      Math.max(50, Math.min(250, Math.floor(ttl / 8))),
      timeout,
    );
    try {
      await store.#load();
    } catch (error) {
      conn.close();
      throw error;
    }
    return store;
  }

  async #load(): Promise<void> {
    const names = Object.keys(SCRIPTS) as ScriptName[];
    const shas = await Promise.all(names.map((n) => this.#conn.send("SCRIPT", "LOAD", SCRIPTS[n])));
    names.forEach((n, i) => this.#shas.set(n, String(shas[i])));
  }

  // `timeout`: a watcher's XREAD blocks up to reapEvery before its answer.
  #open(signal: AbortSignal, timeout = this.#timeout): Promise<RespConnection> {
    return openUnlessAborted(
      (s) => RespConnection.open(this.#host, this.#port, timeout, s),
      signal,
    );
  }

  async #mainConn(): Promise<RespConnection> {
    if (!this.#conn.closed) return this.#conn;
    // A reopen begun before closing() is a call under way, which closing() ends: its connect
    // (and the replies on the connection it makes) would have the whole timeout, and the revoke,
    // sharing it, waited that out on a frozen or black-holed server. One begun after it (the
    // revoke's) gets CLOSE_BUDGET_MS (see there) for the connect and each reply.
    const closing = this.#closing.signal.aborted;
    let reopening = this.#reopening;
    if (reopening === undefined || reopening.closing !== closing) {
      const stop = closing
        ? this.#closed.signal
        : AbortSignal.any([this.#closed.signal, this.#closing.signal]);
      const conn = this.#open(stop, closing ? CLOSE_BUDGET_MS : this.#timeout).then((conn) => {
        // Connected just as closing() or close() ran: the abort came too late to end it.
        if (stop.aborted) {
          conn.close();
          throw stop.reason;
        }
        return (this.#conn = conn);
      }).finally(() => {
        if (this.#reopening === reopening) this.#reopening = undefined;
      });
      reopening = this.#reopening = { closing, conn };
    }
    return await reopening.conn;
  }

  async #eval(name: ScriptName, ...args: (string | number | bigint)[]): Promise<Reply> {
    try {
      return await this.#evalOnce(name, args);
    } catch (error) {
      if (!isConnectionLost(error) || this.#closed.signal.aborted) throw error;
      // The server dropped the connection: after its idle `timeout`, a CLIENT KILL, a restart or a
      // failover, which is only seen at the next command on it. Once more on a new connection:
      // every script is safe to run twice (create-if-absent by a unique key, delete, put,
      // keepalive, revoke, reads) but grant, whose orphan lease expires by itself. A server that
      // is gone refuses the new connection at once; a reply timeout (a frozen server) is not
      // retried, so no call waits twice.
      return await this.#evalOnce(name, args);
    }
  }

  async #evalOnce(name: ScriptName, args: (string | number | bigint)[]): Promise<Reply> {
    this.#closed.signal.throwIfAborted();
    const conn = await this.#mainConn();
    try {
      return await conn.send("EVALSHA", this.#shas.get(name)!, 0, ...args);
    } catch (error) {
      if (error instanceof RespError && error.message.startsWith("LEASEGONE")) {
        throw new LeaseGoneError(error.message);
      }
      if (error instanceof RespError && error.message.startsWith("NOSCRIPT")) {
        // The server restarted and forgot the scripts.
        await this.#load();
        return await conn.send("EVALSHA", this.#shas.get(name)!, 0, ...args);
      }
      throw error;
    }
  }

  async grant(ttl: number): Promise<string> {
    const nonce = crypto.getRandomValues(new Uint32Array(2));
    return String(
      await this.#eval("grant", Math.ceil(ttl), nonce[0]!.toString(36) + nonce[1]!.toString(36)),
    );
  }

  async keepAlive(lease: string, ttl: number): Promise<boolean> {
    return (await this.#eval("keepalive", lease, Math.ceil(ttl))) === 1;
  }

  async revoke(lease: string, keys: Iterable<string> = []): Promise<void> {
    await this.#eval("revoke", lease, ...keys);
  }

  async create(
    dir: string,
    key: string,
    value: string,
    lease: string,
    o?: WriteOptions,
  ): Promise<Created> {
    const r = await this.#eval("create", dir, key, value, lease, o?.queue ? 1 : 0);
    if (typeof r === "number") {
      // The fast path's answer: created in an empty directory at revision r.
      const rev = BigInt(r);
      return { createRev: rev, created: true, ahead: undefined, rev };
    }
    if (!Array.isArray(r)) throw new RespError(`unexpected create reply ${String(r)}`);
    return {
      createRev: BigInt(String(r[0])),
      created: r[1] !== 0,
      ahead: kvOf(r[2] ?? null),
      rev: BigInt(String(r[3])),
    };
  }

  async put(dir: string, key: string, value: string, lease: string): Promise<bigint> {
    return BigInt(String(await this.#eval("put", dir, key, value, lease)));
  }

  async before(dir: string, rev: bigint): Promise<{ kv: KV | undefined; rev: bigint }> {
    const r = await this.#eval("before", dir, rev) as Reply[];
    return { rev: BigInt(String(r[0])), kv: kvOf(r[1] ?? null) };
  }

  async range(dir: string): Promise<{ kvs: KV[]; rev: bigint }> {
    const r = await this.#eval("range", dir) as Reply[];
    const kvs: KV[] = [];
    for (const item of r.slice(1)) {
      const kv = kvOf(item);
      if (kv) kvs.push(kv);
    }
    return { rev: BigInt(String(r[0])), kvs };
  }

  async delete(dir: string, key: string, o?: WriteOptions): Promise<void> {
    await this.#eval("delete", dir, key, o?.queue ? 1 : 0);
  }

  // A connection for a blocking read (XREAD): an idle one left by an earlier read, else a
  // new one. Tracked in #watchers until #putBack(), so close() ends the read.
  // `signal`: made only when a connection is opened.
  async #blockingConn(signal: () => AbortSignal): Promise<RespConnection> {
    while (this.#idle.length > 0) {
      const idle = this.#idle.pop()!;
      if (idle.closed) continue;
      this.#watchers.add(idle);
      return idle;
    }
    const conn = await this.#open(signal(), this.#reapEvery + this.#timeout);
    this.#watchers.add(conn);
    return conn;
  }

  // A blocking read's connection that failed: closed and forgotten (the retry opens another).
  #drop(conn: RespConnection | undefined): undefined {
    if (conn) {
      conn.close();
      this.#watchers.delete(conn);
    }
    return undefined;
  }

  #putBack(conn: RespConnection): void {
    this.#watchers.delete(conn);
    // Left between reads: idle, so reusable. (An abort, close() included, has closed it already.)
    if (!conn.closed && !conn.busy && this.#idle.length < 8) this.#idle.push(conn);
    else conn.close();
  }

  // A lock's or election's hand-off without a watch of the directory: whoever removes the oldest
  // key (a delete, a revoke, a reap) adds to the wake stream of the key after it, which this
  // waits on (XREAD BLOCK). Only the next holder wakes (the directory's stream woke every waiter,
  // each to read past events of keys it does not wait for), and the entry is the answer: a key,
  // once the oldest, stays so until it is deleted. The entry stays, so one added before the read
  // is not missed. A quiet read reaps the directory every reapEvery (a dead holder's key goes
  // within TTL + reapEvery, as with watches) and looks whether the key is first.
  async waitFirst(dir: string, createRev: bigint, signal: AbortSignal): Promise<void> {
    // No AbortSignal.any() of the two on every wait: close() closes the connection itself (it is
    // in #watchers), and only the rare paths (a new connection, a retry) combine them.
    const closed = this.#closed.signal;
    closed.throwIfAborted();
    signal.throwIfAborted();
    const either = (): AbortSignal => AbortSignal.any([signal, closed]);
    const wakeKey = `${PREFIX}wake:${dir}${createRev}`;
    const aborted = abortPromise(signal);
    let conn: RespConnection | undefined;
    const closeOnAbort = (): void => conn?.close();
    signal.addEventListener("abort", closeOnAbort, { once: true });
    try {
      while (true) {
        signal.throwIfAborted();
        closed.throwIfAborted();
        try {
          if (!conn || conn.closed) conn = await this.#blockingConn(either);
          // The DEL runs as the read ends, its reply in the same packet: a wake the read saw goes
          // (one it did not see can only go after a quiet read, whose look below is the answer).
          const read = conn.send("XREAD", "BLOCK", this.#reapEvery, "STREAMS", wakeKey, "0");
          const [reply] = await Promise.race([
            Promise.all([read, conn.send("DEL", wakeKey)]),
            aborted.promise,
          ]);
          if (reply !== null) return;
          const first = await Promise.race([this.#eval("first", dir, createRev), aborted.promise]);
          if (first === 1) return;
        } catch {
          if (signal.aborted) throw signal.reason;
          if (closed.aborted) throw closed.reason;
          conn = this.#drop(conn);
          const retry = abortPromise(either());
          await Promise.race([new Promise((r) => setTimeout(r, RETRY_MS)), retry.promise]);
          retry.detach();
        }
      }
    } finally {
      signal.removeEventListener("abort", closeOnAbort);
      aborted.detach();
      if (conn) this.#putBack(conn);
    }
  }

  async *watch(
    dir: string,
    key: string | undefined,
    fromRev: bigint,
    signal: AbortSignal,
  ): AsyncGenerator<StoreEvent> {
    let last = `${fromRev - 1n}-0`;
    signal = AbortSignal.any([signal, this.#closed.signal]);
    const aborted = abortPromise(signal);
    let conn: RespConnection | undefined;
    const closeOnAbort = (): void => conn?.close();
    signal.addEventListener("abort", closeOnAbort, { once: true });
    try {
      while (true) {
        signal.throwIfAborted();
        try {
          if (!conn || conn.closed) conn = await this.#blockingConn(() => signal);
          const reply = await Promise.race([
            conn.send("XREAD", "BLOCK", this.#reapEvery, "STREAMS", `${PREFIX}log:${dir}`, last),
            aborted.promise,
          ]);
          if (reply === null) {
            // Nothing new: remove expired leases' keys here, their events come next read.
            await Promise.race([this.#eval("reap", dir), aborted.promise]);
            continue;
          }
          const entries = ((reply as Reply[])[0] as Reply[])[1] as Reply[];
          for (const entry of entries) {
            const [id, fields] = entry as [string, string[]];
            last = id;
            const f: Record<string, string> = {};
            for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
            if (key !== undefined && f.k !== key) continue;
            yield {
              type: f.t === "d" ? "delete" : "put",
              key: f.k ?? "",
              value: f.v ?? "",
              createRev: BigInt(f.c ?? "0"),
              modRev: BigInt(id.slice(0, id.indexOf("-"))),
              oldest: f.o === "1",
            };
          }
        } catch {
          if (signal.aborted) throw signal.reason;
          conn = this.#drop(conn);
          await Promise.race([new Promise((r) => setTimeout(r, RETRY_MS)), aborted.promise]);
        }
      }
    } finally {
      signal.removeEventListener("abort", closeOnAbort);
      aborted.detach();
      // Left between reads (the consumer stopped at an event) it is reused.
      if (conn) this.#putBack(conn);
    }
  }

  closing(): void {
    if (this.#closing.signal.aborted) return;
    this.#closing.abort(new Error("store closing"));
    // Fails the replies awaited on the main connection (a keepalive, a lock's create) at once:
    // on a frozen server each waited out the whole reply timeout before the revoke could start,
    // and the revoke then waited it out again. An idle one goes too: its replies may take the
    // whole timeout (6 s with a 6 s TTL), so a revoke sent on it right after the server froze
    // waited that out. The revoke opens a new connection, bounded by CLOSE_BUDGET_MS.
    this.#conn.close();
  }

  close(): Promise<void> {
    this.#closing.abort(new Error("store closing"));
    this.#closed.abort(new Error("store closed"));
    for (const c of this.#watchers) c.close();
    for (const c of this.#idle.splice(0)) c.close();
    this.#watchers.clear();
    this.#conn.close();
    return Promise.resolve();
  }
}
