// The Redis driver's key space, emulating the etcd shape with Lua scripts (each one atomic on a
// single Redis): a global revision counter (INCR) gives create revisions, hence fencing tokens;
// a lease is a set of its keys with PX expiry that keepalives extend; a directory is a sorted set of its keys
// by create revision; every change is appended to the directory's stream with the revision as
// its id, so a watch resumes with XREAD from any revision (a lock queue leaves out the events
// nobody reads: its puts, and the delete that empties it). Keys of an expired lease are removed
// (with their delete events) by whichever client next touches the directory: watchers do so every
// TTL/8 (at most 250 ms) while blocked, so a dead holder's key goes within TTL + 250 ms.

import { type Reply, RespConnection, RespError } from "./_resp.ts";
import {
  abortPromise,
  type Created,
  type KV,
  LeaseGoneError,
  type Store,
  type StoreEvent,
  type WriteOptions,
} from "./_store.ts";

const LIB = `
local P = 'fjord:'
local function xadd(dir, rev, t, key, c, v, o)
  redis.call('XADD', P..'log:'..dir, 'MAXLEN', '~', 10000, rev..'-0', 't', t, 'k', key, 'c', c, 'v', v, 'o', o)
end
-- q: dir is a lock queue (see WriteOptions): no event when the key leaves it empty.
local function del(dir, key, q)
  local h = P..'kv:'..key
  local f = redis.call('HMGET', h, 'l', 'c')
  if not f[1] then return end
  redis.call('DEL', h)
  local ix = P..'ix:'..dir
  local two = redis.call('ZRANGE', ix, 0, 1)
  redis.call('ZREM', ix, key)
  redis.call('SREM', P..'lease:'..f[1], key)
  if q and (#two == 0 or (#two == 1 and two[1] == key)) then return end
  local rev = redis.call('INCR', P..'rev')
  -- Whether no older key was there: a waiter right behind it then needs no second look.
  xadd(dir, rev, 'd', key, f[2], '', two[1] == key and '1' or '')
end
-- Removes the keys of expired leases under dir; returns the live keys oldest first, each
-- followed by its create revision.
local function reap(dir)
  local ix = P..'ix:'..dir
  local keys = redis.call('ZRANGE', ix, 0, -1, 'WITHSCORES')
  local live = {}
  for i = 1, #keys, 2 do
    local k = keys[i]
    local l = redis.call('HGET', P..'kv:'..k, 'l')
    if not l then redis.call('ZREM', ix, k)
    elseif redis.call('EXISTS', P..'lease:'..l) == 0 then del(dir, k)
    else live[#live + 1] = k ; live[#live + 1] = keys[i + 1] end
  end
  return live
end
local function kv(key)
  if not key then return {} end
  local f = redis.call('HMGET', P..'kv:'..key, 'v', 'c', 'm')
  return {key, f[1], f[2], f[3]}
end
local function rev() return redis.call('GET', P..'rev') or '0' end
local function needLease(l)
  if redis.call('EXISTS', P..'lease:'..l) == 0 then return redis.error_reply('LEASEGONE lease '..l..' not found') end
end
local function write(dir, key, v, l, overwrite)
  local h = P..'kv:'..key
  local f = redis.call('HMGET', h, 'c', 'l')
  local c = f[1]
  if c and not overwrite then return c, 0 end
  local r = redis.call('INCR', P..'rev')
  if not c then c = tostring(r) ; redis.call('ZADD', P..'ix:'..dir, r, key) end
  redis.call('HSET', h, 'v', v, 'c', c, 'm', tostring(r), 'l', l)
  -- Taken over by another lease: the old one's revoke must not delete it.
  if f[2] and f[2] ~= l then redis.call('SREM', P..'lease:'..f[2], key) end
  redis.call('SADD', P..'lease:'..l, key)
  xadd(dir, r, 'p', key, c, v, '')
  return c, r
end
`;

const SCRIPTS = {
  // One listing of the directory both reaps it and finds the key ahead (the newest live key
  // before this one), so the uncontended path is six calls.
  create: `${LIB}
local dir, key, v, l, q = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5] == '1'
local e = needLease(l) if e then return e end
local live = reap(dir)
local ahead
for i = 1, #live, 2 do
  if live[i] == key then return {redis.call('HGET', P..'kv:'..key, 'c'), 0, kv(ahead), rev()} end
  ahead = live[i]
end
local r = redis.call('INCR', P..'rev')
local c = tostring(r)
redis.call('ZADD', P..'ix:'..dir, r, key)
redis.call('HSET', P..'kv:'..key, 'v', v, 'c', c, 'm', c, 'l', l)
redis.call('SADD', P..'lease:'..l, key)
if not q then xadd(dir, r, 'p', key, c, v, '') end
return {c, r, kv(ahead), c}`,
  put: `${LIB}
local dir, key, v, l = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local e = needLease(l) if e then return e end
local c, r = write(dir, key, v, l, true)
return tostring(r)`,
  before: `${LIB}
local dir, r = ARGV[1], tonumber(ARGV[2])
local live = reap(dir)
local k
for i = 1, #live, 2 do
  if tonumber(live[i + 1]) >= r then break end
  k = live[i]
end
return {rev(), kv(k)}`,
  range: `${LIB}
local dir = ARGV[1]
local live = reap(dir)
local out = {rev()}
for i = 1, #live, 2 do out[#out + 1] = kv(live[i]) end
return out`,
  delete: `${LIB}
del(ARGV[1], ARGV[2], ARGV[3] == '1')
return 1`,
  reap: `${LIB}
reap(ARGV[1])
return rev()`,
  grant: `${LIB}
local id = redis.call('INCR', P..'leaseid')
-- The lease is a set of its keys; the member '' keeps it alive while it holds none.
redis.call('SADD', P..'lease:'..id, '')
redis.call('PEXPIRE', P..'lease:'..id, ARGV[1])
return tostring(id)`,
  keepalive: `${LIB}
return redis.call('PEXPIRE', P..'lease:'..ARGV[1], ARGV[2])`,
  revoke: `${LIB}
local l = ARGV[1]
for _, k in ipairs(redis.call('SMEMBERS', P..'lease:'..l)) do
  if k ~= '' then del(string.match(k, '^(.*/)'), k) end
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

  private constructor(host: string, port: number, conn: RespConnection, reapEvery: number) {
    this.#host = host;
    this.#port = port;
    this.#conn = conn;
    this.#reapEvery = reapEvery;
  }

  static async open(host: string, port: number, ttl: number): Promise<RedisStore> {
    const conn = await RespConnection.open(host, port);
    const store = new RedisStore(
      host,
      port,
      conn,
      Math.max(50, Math.min(250, Math.floor(ttl / 8))),
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

  async #eval(name: ScriptName, ...args: (string | number | bigint)[]): Promise<Reply> {
    if (this.#conn.closed) this.#conn = await RespConnection.open(this.#host, this.#port);
    try {
      return await this.#conn.send("EVALSHA", this.#shas.get(name)!, 0, ...args);
    } catch (error) {
      if (error instanceof RespError && error.message.startsWith("LEASEGONE")) {
        throw new LeaseGoneError(error.message);
      }
      if (error instanceof RespError && error.message.startsWith("NOSCRIPT")) {
        // The server restarted and forgot the scripts.
        await this.#load();
        return await this.#conn.send("EVALSHA", this.#shas.get(name)!, 0, ...args);
      }
      throw error;
    }
  }

  async grant(ttl: number): Promise<string> {
    return String(await this.#eval("grant", Math.ceil(ttl)));
  }

  async keepAlive(lease: string, ttl: number): Promise<boolean> {
    return (await this.#eval("keepalive", lease, Math.ceil(ttl))) === 1;
  }

  async revoke(lease: string): Promise<void> {
    await this.#eval("revoke", lease);
  }

  async create(
    dir: string,
    key: string,
    value: string,
    lease: string,
    o?: WriteOptions,
  ): Promise<Created> {
    const r = await this.#eval("create", dir, key, value, lease, o?.queue ? 1 : 0) as Reply[];
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

  async *watch(
    dir: string,
    key: string | undefined,
    fromRev: bigint,
    signal: AbortSignal,
  ): AsyncGenerator<StoreEvent> {
    let last = `${fromRev - 1n}-0`;
    const aborted = abortPromise(signal);
    let conn: RespConnection | undefined;
    const closeOnAbort = (): void => conn?.close();
    signal.addEventListener("abort", closeOnAbort, { once: true });
    try {
      while (true) {
        signal.throwIfAborted();
        try {
          while (!conn && this.#idle.length > 0) {
            const idle = this.#idle.pop()!;
            if (idle.closed) continue;
            conn = idle;
            this.#watchers.add(conn);
          }
          if (!conn || conn.closed) {
            conn = await Promise.race([
              RespConnection.open(this.#host, this.#port),
              aborted.promise,
            ]);
            this.#watchers.add(conn);
          }
          const reply = await Promise.race([
            conn.send("XREAD", "BLOCK", this.#reapEvery, "STREAMS", `fjord:log:${dir}`, last),
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
        } catch (error) {
          if (signal.aborted) throw signal.reason;
          if (conn) {
            conn.close();
            this.#watchers.delete(conn);
          }
          conn = undefined;
          await Promise.race([new Promise((r) => setTimeout(r, 100)), aborted.promise]);
          void error;
        }
      }
    } finally {
      signal.removeEventListener("abort", closeOnAbort);
      aborted.detach();
      if (conn) {
        this.#watchers.delete(conn);
        // Left between reads (the consumer stopped at an event): idle, so reusable.
        if (!conn.closed && !conn.busy && this.#idle.length < 8) this.#idle.push(conn);
        else conn.close();
      }
    }
  }

  close(): Promise<void> {
    for (const c of this.#watchers) c.close();
    for (const c of this.#idle.splice(0)) c.close();
    this.#watchers.clear();
    this.#conn.close();
    return Promise.resolve();
  }
}
