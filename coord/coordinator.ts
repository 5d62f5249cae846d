/**
 * Coordination across machines: {@linkcode connect} to etcd, Redis or an in-process `memory://`
 * space, then take fenced locks, join groups, elect leaders.
 *
 * @module
 */

import { type Clock, systemClock } from "../runtime/clock.ts";
import { checkClock } from "../runtime/_check_clock.ts";
import { checkNumber } from "../runtime/_check_number.ts";
import { checkOptionsObject, checkSignalOption } from "../runtime/_check_options.ts";
import { describeValue } from "../runtime/_describe.ts";
import { checkWellFormed, CoordinatorImpl } from "./_coordinator.ts";
import { EtcdStore } from "./_etcd_store.ts";
import { MemoryStore } from "./_memory_store.ts";
import { RedisStore } from "./_redis_store.ts";
import { Session } from "./_session.ts";
import type { Store } from "./_store.ts";
import { TypedStore } from "./_typed_store.ts";
import { CoordinatorUnavailableError } from "./errors.ts";

/**
 * A held distributed lock. Its {@linkcode DistributedLock.token} is a fencing token: strictly
 * increasing per lock name across every member and holder, so the protected resource can refuse
 * a write carrying a token lower than the highest it has seen.
 *
 * @example Fencing at the resource
 * ```ts
 * import { connect } from "@fjord/fjord/coord";
 * import assert from "node:assert/strict";
 *
 * let highest = 0n;
 * function write(token: bigint): void {
 *   if (token < highest) throw new Error(`stale token ${token}`);
 *   highest = token;
 * }
 * await using coord = await connect("memory://fencing-example");
 * {
 *   await using held = await coord.lock("invoices");
 *   held.assertHeld();
 *   write(held.token);
 * }
 * await using again = await coord.lock("invoices");
 * assert.ok(again.token > highest);
 * ```
 */
export interface DistributedLock extends AsyncDisposable {
  /** The lock's name. */
  readonly name: string;
  /** The fencing token of this holding. */
  readonly token: bigint;
  /**
   * Aborts when the holding ends: the session lease was lost (no keepalive succeeded within the
   * TTL, checked against the clock whenever this is read), the lock was released, or the
   * coordinator closed.
   */
  readonly signal: AbortSignal;
  /** Throws {@linkcode LockLostError} unless the lock is still held. */
  assertHeld(): void;
  /**
   * Releases the lock (removes its key on the server); later calls do nothing. When the server
   * cannot be reached it rejects, and the coordinator keeps removing the key in the background
   * (until it is gone, the session is lost or the coordinator closes): a failed release never
   * leaves the lock held for good.
   */
  release(): Promise<void>;
}

/**
 * This member's leadership of a group, from {@linkcode Coordinator.campaign}.
 *
 * @example
 * ```ts
 * import { connect } from "@fjord/fjord/coord";
 * import assert from "node:assert/strict";
 *
 * await using coord = await connect("memory://leadership-example", { memberId: "a" });
 * const leading = await coord.campaign("schedulers");
 * assert.equal(await coord.leader("schedulers"), "a");
 * await leading.resign();
 * assert.ok(leading.signal.aborted);
 * assert.equal(await coord.leader("schedulers"), undefined);
 * ```
 */
export interface Leadership extends AsyncDisposable {
  /** The group led. */
  readonly group: string;
  /** The term's fencing token: strictly increasing per group. */
  readonly token: bigint;
  /** Aborts when leadership ends (lease lost, resigned, coordinator closed). */
  readonly signal: AbortSignal;
  /** Steps down; later calls do nothing. A failure rejects and is retried as `release()`'s. */
  resign(): Promise<void>;
}

/**
 * A member of a group.
 *
 * @example
 * ```ts
 * import { connect, type Member } from "@fjord/fjord/coord";
 * import assert from "node:assert/strict";
 *
 * await using coord = await connect("memory://member-example", { memberId: "w1" });
 * await coord.join("workers", { capabilities: { gpus: 2 } });
 * const members: Member[] = await coord.members("workers");
 * assert.deepEqual(members, [{ id: "w1", capabilities: { gpus: 2 } }]);
 * ```
 */
export interface Member {
  /** The member's id (its coordinator's `memberId`). */
  id: string;
  /** What it declared at `join()` (JSON data). */
  capabilities: unknown;
}

/**
 * A join or leave seen by {@linkcode Coordinator.watch}.
 *
 * @example
 * ```ts
 * import { connect, type MembershipEvent } from "@fjord/fjord/coord";
 * import assert from "node:assert/strict";
 *
 * await using coord = await connect("memory://event-example", { memberId: "w1" });
 * const controller = new AbortController();
 * const seen: MembershipEvent[] = [];
 * const watching = (async () => {
 *   for await (const event of coord.watch("workers", { signal: controller.signal })) {
 *     seen.push(event);
 *     if (seen.length === 2) controller.abort();
 *   }
 * })();
 * await coord.join("workers");
 * await coord.leave("workers");
 * await watching;
 * assert.deepEqual(seen.map((e) => e.type), ["join", "leave"]);
 * ```
 */
export type MembershipEvent = { type: "join" | "leave"; member: Member };

/**
 * Options for {@linkcode Coordinator.lock}.
 *
 * @example
 * ```ts
 * import { connect, type DistributedLockOptions } from "@fjord/fjord/coord";
 *
 * await using coord = await connect("memory://lock-options-example");
 * const options: DistributedLockOptions = { timeout: 1_000 };
 * await using _held = await coord.lock("reports", options);
 * ```
 */
export interface DistributedLockOptions {
  /**
   * Gives up after this many ms with a `TimeoutError` DOMException; the waiter's key is removed.
   * Counted from the call, the request that queues the waiter included (on a frozen server it
   * would last up to the TTL): use `tryLock()` to try without waiting.
   */
  timeout?: number;
  /**
   * Gives up when aborted, rejecting with `signal.reason`, also while the request that queues
   * the waiter is under way; the waiter's key is removed.
   */
  signal?: AbortSignal;
}

/**
 * A connection to a coordination engine with one session lease, from {@linkcode connect}.
 * Locks, group memberships and leaderships hang on the lease: closing the coordinator (or
 * losing the lease) ends them all. A call that cannot start throws at the call, as everywhere in
 * fjord: a bad argument is a `TypeError` or `RangeError`, a closed coordinator or a lost lease a
 * `CoordinatorUnavailableError`. A call the engine then fails rejects with
 * `CoordinatorUnavailableError`, whatever the driver.
 *
 * @example
 * ```ts
 * import { connect, type Coordinator } from "@fjord/fjord/coord";
 * import assert from "node:assert/strict";
 *
 * const coord: Coordinator = await connect("memory://coordinator-example");
 * assert.equal(coord.driver, "memory");
 * assert.equal(coord.guarantees, "linearizable");
 * await coord.close();
 * assert.ok(coord.lost.aborted);
 * ```
 */
export interface Coordinator extends AsyncDisposable {
  /** This member's id (`memberId` option, or a random one). */
  readonly memberId: string;
  /** The engine behind the URL. */
  readonly driver: "etcd" | "redis" | "memory";
  /** `linearizable` for etcd and memory; `best-effort` for a single Redis (clock-dependent). */
  readonly guarantees: "linearizable" | "best-effort";
  /** The session lease's TTL in ms (the requested one, raised to the engine's minimum). */
  readonly ttl: number;
  /** Aborts when the session lease is lost or the coordinator is closed. */
  readonly lost: AbortSignal;
  /** Takes the lock, waiting in arrival order (each waiter watches only the one ahead). */
  lock(name: string, o?: DistributedLockOptions): Promise<DistributedLock>;
  /** Takes the lock if nobody holds or waits for it; otherwise resolves `undefined`. */
  tryLock(name: string): Promise<DistributedLock | undefined>;
  /** Joins a group with JSON `capabilities` (joining again replaces them). */
  join(group: string, o?: { capabilities?: unknown }): Promise<void>;
  /** Leaves a group (a no-op when not a member). */
  leave(group: string): Promise<void>;
  /** The group's members, oldest first. */
  members(group: string): Promise<Member[]>;
  /**
   * Joins and leaves from now on, pushed by the server; a broken stream resumes from the last
   * revision seen, so no event is missed. Ends when `signal` aborts or the coordinator closes.
   */
  watch(group: string, o?: { signal?: AbortSignal }): AsyncIterable<MembershipEvent>;
  /** Resolves when this member leads the group (campaigners are elected in arrival order). */
  campaign(group: string, o?: { signal?: AbortSignal }): Promise<Leadership>;
  /** The leader's `memberId`, or `undefined` when nobody campaigns. */
  leader(group: string): Promise<string | undefined>;
  /** The current leader, then every change. Ends when `signal` aborts or the coordinator closes. */
  observe(group: string, o?: { signal?: AbortSignal }): AsyncIterable<string | undefined>;
  /** Releases everything this member holds (locks, memberships, leaderships) and disconnects. */
  close(): Promise<void>;
}

/**
 * Options for {@linkcode connect}.
 *
 * @example
 * ```ts
 * import { connect, type ConnectOptions } from "@fjord/fjord/coord";
 * import assert from "node:assert/strict";
 *
 * const options: ConnectOptions = { memberId: "api-1", ttl: 5_000 };
 * await using coord = await connect("memory://connect-options-example", options);
 * assert.equal(coord.memberId, "api-1");
 * ```
 */
export interface ConnectOptions {
  /** This member's id in groups and elections. Default: a random one. */
  memberId?: string;
  /**
   * The session lease's TTL in ms (default 10 000), raised to the engine's minimum (etcd 2 000,
   * Redis 500); at most 24 days (2 073 600 000). Keepalives run every third of it.
   */
  ttl?: number;
  /** The clock the local TTL check reads. Default `systemClock`. */
  clock?: Clock;
  /** Gives up connecting, rejecting with `signal.reason`. */
  signal?: AbortSignal;
  /**
   * The guarantee the caller needs; connecting to a driver that cannot give it fails at once
   * with a `TypeError` (e.g. `"linearizable"` with `redis://`).
   */
  guarantees?: "linearizable" | "best-effort";
}

const DEFAULT_TTL = 10_000;
// 24 days. The session's timers (keepalive, TTL deadline, request timeouts) derive from the TTL,
// and a timer longer than 2^31 - 1 ms (~24.8 days) fires at once: past this, keepalives would
// run in a loop every millisecond.
const MAX_TTL = 2_073_600_000;

interface Target {
  driver: "etcd" | "redis" | "memory";
  hosts: { hostname: string; port: number }[];
  name: string;
}

function parseHost(
  spec: string,
  url: string,
  defaultPort: number,
): { hostname: string; port: number } {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:/\[\]]+)(?::(\d+))?$/.exec(spec);
  const port = m?.[2] === undefined ? defaultPort : Number(m[2]);
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TypeError(
      `Cannot connect as 'url' has an invalid host "${spec}": current value is ${
        describeValue(url)
      }`,
    );
  }
  return { hostname: m[1]!.replace(/^\[|\]$/g, ""), port };
}

function parseUrl(url: string): Target {
  const m = /^([a-z]+):\/\/([^/?#]*)\/?(?:[?#].*)?$/.exec(url);
  if (!m) {
    throw new TypeError(
      `Cannot connect as 'url' must look like etcd://host:port, redis://host:port or memory://name: current value is ${
        describeValue(url)
      }`,
    );
  }
  const [, scheme, authority] = m as unknown as [string, string, string];
  switch (scheme) {
    case "etcd":
      if (!authority) {
        throw new TypeError(
          `Cannot connect as 'url' names no etcd host: current value is ${describeValue(url)}`,
        );
      }
      return {
        driver: "etcd",
        hosts: authority.split(",").map((h) => parseHost(h, url, 2379)),
        name: "",
      };
    case "redis":
      if (!authority) {
        throw new TypeError(
          `Cannot connect as 'url' names no redis host: current value is ${describeValue(url)}`,
        );
      }
      return { driver: "redis", hosts: [parseHost(authority, url, 6379)], name: "" };
    case "memory":
      return { driver: "memory", hosts: [], name: authority || "default" };
    default:
      throw new TypeError(
        `Cannot connect as 'url' has the unknown scheme "${scheme}:" (etcd:, redis:, memory:): current value is ${
          describeValue(url)
        }`,
      );
  }
}

/**
 * Connects to a coordination engine and starts this member's session lease.
 *
 * - `etcd://host:port[,host:port...]`: etcd v3 through its JSON gateway (a small built-in
 *   HTTP/1.1 client, no dependency); linearizable; requests move to the next listed member when
 *   one fails.
 * - `redis://host:port`: one Redis through a small built-in RESP client; best-effort (a lease is
 *   a key expiring on the Redis server's clock; asynchronous replicas can lose a lock on
 *   failover). Needs Lua scripting and streams (Redis ≥ 5).
 * - `memory://name`: in this process only, shared by every coordinator connected to `name`;
 *   for tests. Its leases end only when their coordinator closes.
 *
 * Needs `--allow-net` for the engine's address.
 *
 * @param url The engine URL (string or `URL`).
 * @param o Options: `memberId`, `ttl` (ms), `clock`, `signal`, `guarantees`.
 * @returns The connected {@linkcode Coordinator}.
 * @throws {TypeError} At the call, for a malformed URL, an unknown scheme, a bad option (`ttl: "5"`
 *   included, `o` not an object, `signal` not an `AbortSignal`), or a driver that cannot give the
 *   requested `guarantees`.
 * @throws {RangeError} At the call, when `ttl` is not a positive finite number, or is over 24
 *   days.
 * @throws {CoordinatorUnavailableError} (through the promise) When the engine cannot be reached.
 *
 * @example
 * ```ts
 * import { connect } from "@fjord/fjord/coord";
 * import assert from "node:assert/strict";
 *
 * await using a = await connect("memory://connect-example", { memberId: "a" });
 * await using b = await connect("memory://connect-example", { memberId: "b" });
 * const held = await a.lock("migrations");
 * assert.equal(await b.tryLock("migrations"), undefined);
 * await held.release();
 * await using taken = await b.tryLock("migrations");
 * assert.ok(taken !== undefined && taken.token > held.token);
 * ```
 */
export function connect(url: string | URL, o: ConnectOptions = {}): Promise<Coordinator> {
  if (typeof url !== "string" && !(url instanceof URL)) {
    throw new TypeError(
      `Cannot connect as 'url' must be a string or URL: current value is ${describeValue(url)}`,
    );
  }
  const href = String(url);
  const target = parseUrl(href);
  checkOptionsObject(o, "connect", "o");
  checkSignalOption(o.signal, "connect");
  const {
    memberId = crypto.randomUUID(),
    ttl: requestedTtl = DEFAULT_TTL,
    clock = systemClock,
    signal,
  } = o;
  if (typeof memberId !== "string" || memberId === "") {
    throw new TypeError(
      `Cannot connect as 'memberId' must be a non-empty string: current value is ${
        describeValue(memberId)
      }`,
    );
  }
  checkWellFormed(memberId, "memberId", "connect");
  checkClock(o.clock, "connect");
  checkNumber(
    requestedTtl,
    "connect",
    "ttl",
    "a positive number of ms",
    (n) => Number.isFinite(n) && n > 0,
  );
  if (requestedTtl > MAX_TTL) {
    throw new RangeError(
      `Cannot connect as 'ttl' must be at most ${MAX_TTL} ms (24 days): current value is ${
        describeValue(requestedTtl)
      }`,
    );
  }
  const guarantees = target.driver === "redis" ? "best-effort" : "linearizable";
  if (
    o.guarantees !== undefined && o.guarantees !== "linearizable" && o.guarantees !== "best-effort"
  ) {
    throw new TypeError(
      `Cannot connect as 'guarantees' is unknown: current value is ${describeValue(o.guarantees)}`,
    );
  }
  if (o.guarantees === "linearizable" && guarantees !== "linearizable") {
    throw new TypeError(
      `Cannot connect to ${href} as 'guarantees' asks for linearizable and the ${target.driver} driver is best-effort`,
    );
  }
  return open(target, href, { memberId, requestedTtl, clock, signal, guarantees });
}

// connect()'s work once its arguments are checked: everything from here settles through the
// promise (an aborted `signal` rejects with its reason, as every wait in fjord).
async function open(
  target: Target,
  href: string,
  o: {
    memberId: string;
    requestedTtl: number;
    clock: Clock;
    signal: AbortSignal | undefined;
    guarantees: "linearizable" | "best-effort";
  },
): Promise<Coordinator> {
  const { memberId, requestedTtl, clock, signal, guarantees } = o;
  signal?.throwIfAborted();
  let store: Store | undefined;
  try {
    const pending = (async (): Promise<Coordinator> => {
      const min = target.driver === "etcd" ? 2_000 : target.driver === "redis" ? 500 : 1;
      const ttl = Math.max(requestedTtl, min);
      let driver: Store;
      if (target.driver === "etcd") {
        driver = new EtcdStore(
          target.hosts.map((h) =>
            `${h.hostname.includes(":") ? `[${h.hostname}]` : h.hostname}:${h.port}`
          ),
          ttl,
        );
      } else if (target.driver === "redis") {
        const h = target.hosts[0]!;
        driver = await RedisStore.open(h.hostname, h.port, ttl);
      } else {
        driver = new MemoryStore(target.name);
      }
      store = new TypedStore(driver, href);
      const grantedAt = clock.now();
      const lease = await store.grant(ttl);
      const session = new Session(store, lease, ttl, clock, href, grantedAt);
      return new CoordinatorImpl({
        store,
        session,
        memberId,
        driver: target.driver,
        guarantees,
        ttl,
        clock,
        url: href,
      });
    })();
    if (!signal) return await pending;
    let onAbort = (): void => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      return await Promise.race([pending, aborted]);
    } catch (error) {
      // A connection finished after the abort is closed, not leaked.
      pending.then((c) => c.close(), () => {});
      throw error;
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  } catch (error) {
    if (signal?.aborted && error === signal.reason) throw error;
    await store?.close();
    if (error instanceof CoordinatorUnavailableError) throw error;
    throw new CoordinatorUnavailableError(
      href,
      error instanceof Error ? error.message : String(error),
      {
        cause: error,
      },
    );
  }
}
