// The Coordinator behind every driver: locks, elections, groups and periodic ticks written once
// against the Store seam.
//
// Key layout (names and member ids are URI-encoded so a "/" never nests directories):
//   fjord/lock/<name>/<lease>-<n>       one per lock holder or waiter, value = memberId
//   fjord/election/<group>/<lease>-<n>  one per campaigner, value = memberId
//   fjord/group/<group>/<memberId>      one per member, value = JSON capabilities
//   fjord/tick/<name>/<index>           one per claimed periodic tick
// Queues (locks, elections) follow etcd's mutex recipe: create your key, then while a key
// created before yours exists, watch that one key until it is deleted. The oldest key holds;
// its create revision is the fencing token.

import { checkOptionsObject, checkSignalOption } from "../runtime/_check_options.ts";
import { describeValue } from "../runtime/_describe.ts";
import { checkNumber } from "../runtime/_check_number.ts";
import type { Clock } from "../runtime/clock.ts";
import type {
  Coordinator,
  DistributedLock,
  DistributedLockOptions,
  Leadership,
  Member,
  MembershipEvent,
} from "./coordinator.ts";
import type { Session } from "./_session.ts";
import type { Created, KV, Store, WriteOptions } from "./_store.ts";
import { abortPromise } from "./_abort.ts";
import { CoordinatorUnavailableError, LockLostError } from "./errors.ts";

/** The internal entry point runExclusivePeriodic() uses to claim one tick. */
export const claimTick: unique symbol = Symbol("fjord.coord.claimTick");

const enc = encodeURIComponent;

// Lock directories are only waited on key by key (elections are observed as a whole). Queue keys
// are named after the session's lease (#takeKey), so they are the session's own.
const QUEUE: WriteOptions = { queue: true, own: true };
const OWN: WriteOptions = { own: true };

function checkName(value: unknown, param: string, action: string): asserts value is string {
  if (typeof value !== "string" || value === "") {
    throw new TypeError(
      `Cannot ${action} as '${param}' must be a non-empty string: current value is ${
        describeValue(value)
      }`,
    );
  }
  checkWellFormed(value, param, action);
}

/**
 * Names become keys through encodeURIComponent (a URIError for a lone surrogate) and UTF-8 (which
 * turns one into U+FFFD, so two names would share a key): a string with one is refused by name.
 */
export function checkWellFormed(value: string, param: string, action: string): void {
  if (!value.isWellFormed()) {
    throw new TypeError(
      `Cannot ${action} as '${param}' must be well-formed Unicode (it has a lone surrogate): current value is ${
        describeValue(value)
      }`,
    );
  }
}

/**
 * `o` of a call and its `signal`, checked up front so a wrong one is named: destructuring null, or
 * `throwIfAborted()` / `AbortSignal.any()` on a non-signal, failed with a TypeError naming neither.
 * `what` completes "Cannot …", e.g. `lock "jobs"`.
 */
export function checkCallOptions(o: unknown, what: string): void {
  // `o` defaults to {} in every caller, so undefined never arrives here.
  checkOptionsObject(o, what, "o");
  checkSignalOption((o as { signal?: unknown }).signal, what);
}

// Why a finished wait's timer is cancelled (nobody reads it: an abort without a reason would make
// a DOMException, with its stack trace, for nothing).
const DONE = new Error("done waiting");

function neverAborted(): AbortSignal {
  return new AbortController().signal;
}

// What every holding of one coordinator shares: made once per coordinator, not per holding.
interface HoldingContext {
  readonly session: Session;
  readonly store: Store;
  /** Aborted when close() starts. */
  readonly closing: AbortSignal;
  untrack(h: Holding): void;
  freed(dir: string, key: string): void;
  /** Deletes the key in the background, again and again, after its delete failed. */
  retryFree(dir: string, key: string, w: WriteOptions | undefined): void;
}

// The signal (an AbortController and a listener on the session) is made only when first read:
// most holdings are taken and released without anyone looking at it.
abstract class Holding implements AsyncDisposable {
  readonly token: bigint;
  #controller: AbortController | undefined;
  #onLost: (() => void) | undefined;
  #ended = false;
  // Why the holding ended; undefined after a plain release (its error is made when needed).
  #endReason: unknown;
  #released: Promise<void> | undefined;
  protected readonly writeOptions: WriteOptions | undefined = undefined;

  readonly #ctx: HoldingContext;

  constructor(
    readonly label: string,
    readonly dir: string,
    readonly key: string,
    token: bigint,
    ctx: HoldingContext,
  ) {
    this.token = token;
    this.#ctx = ctx;
  }

  // Why the holding is over, or undefined while it is held.
  #over(): unknown {
    if (this.#ended) return this.#endReason ??= new Error(`${this.label} was released`);
    const lost = this.#ctx.session.lostRaw;
    return lost.aborted ? lost.reason : undefined;
  }

  get signal(): AbortSignal {
    this.#ctx.session.check();
    if (!this.#controller) {
      const controller = new AbortController();
      this.#controller = controller;
      const over = this.#over();
      if (over !== undefined) {
        controller.abort(over);
      } else {
        const lost = this.#ctx.session.lostRaw;
        this.#onLost = () => controller.abort(lost.reason);
        lost.addEventListener("abort", this.#onLost, { once: true });
      }
    }
    return this.#controller.signal;
  }

  protected assert(): void {
    this.#ctx.session.check();
    const over = this.#over();
    if (over !== undefined) {
      throw new LockLostError(
        this.label,
        this.token,
        over instanceof Error ? over.message : String(over),
      );
    }
  }

  // Marks the holding over; returns whether it was held until now.
  #finish(reason: unknown): boolean {
    if (this.#ended) return false;
    const lost = this.#ctx.session.lostRaw;
    const wasHeld = !lost.aborted;
    this.#ended = true;
    this.#endReason = wasHeld ? reason : lost.reason;
    if (this.#onLost) lost.removeEventListener("abort", this.#onLost);
    this.#onLost = undefined;
    this.#controller?.abort(this.#over());
    return wasHeld;
  }

  protected end(): Promise<void> {
    this.#released ??= (async () => {
      this.#ctx.untrack(this);
      if (!this.#finish(undefined)) return;
      try {
        await this.#ctx.store.delete(this.dir, this.key, this.writeOptions);
      } catch (error) {
        // close() ends the requests under way; the key, not freed, goes with its revoke.
        if (this.#ctx.closing.aborted) return;
        this.#ctx.retryFree(this.dir, this.key, this.writeOptions);
        throw error;
      }
      this.#ctx.freed(this.dir, this.key);
    })();
    return this.#released;
  }

  /** Ends the holding without touching the server (the coordinator is closing). */
  drop(reason: unknown): void {
    this.#finish(reason);
    this.#released ??= Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.end();
  }
}

class HeldLock extends Holding implements DistributedLock {
  protected override readonly writeOptions = QUEUE;
  get name(): string {
    return this.label;
  }
  assertHeld(): void {
    this.assert();
  }
  release(): Promise<void> {
    return this.end();
  }
}

class HeldLeadership extends Holding implements Leadership {
  get group(): string {
    return this.label;
  }
  resign(): Promise<void> {
    return this.end();
  }
}

export interface CoordinatorParts {
  store: Store;
  session: Session;
  memberId: string;
  driver: "etcd" | "redis" | "memory";
  guarantees: "linearizable" | "best-effort";
  ttl: number;
  clock: Clock;
  url: string;
}

export class CoordinatorImpl implements Coordinator {
  readonly memberId: string;
  readonly driver: "etcd" | "redis" | "memory";
  readonly guarantees: "linearizable" | "best-effort";
  readonly ttl: number;
  readonly #store: Store;
  readonly #session: Session;
  readonly #holdingContext: HoldingContext;
  readonly #clock: Clock;
  readonly #url: string;
  readonly #holdings = new Set<Holding>();
  readonly #closing = new AbortController();
  #closed: Promise<void> | undefined;
  // What ends a wait with neither a timeout nor a signal of its own (see #enqueue).
  #waitStop: AbortSignal | undefined;

  constructor(p: CoordinatorParts) {
    this.#store = p.store;
    this.#session = p.session;
    this.memberId = p.memberId;
    this.driver = p.driver;
    this.guarantees = p.guarantees;
    this.ttl = p.ttl;
    this.#clock = p.clock;
    this.#url = p.url;
    this.#holdingContext = {
      session: p.session,
      store: p.store,
      closing: this.#closing.signal,
      untrack: (h) => this.#holdings.delete(h),
      freed: this.#freeKey,
      retryFree: (dir, key, w) => this.#retryFree(dir, key, w),
    };
  }

  get lost(): AbortSignal {
    return this.#session.lost;
  }

  #checkOpen(action: string): void {
    if (this.#closed) {
      throw new CoordinatorUnavailableError(
        this.#url,
        `cannot ${action}: the coordinator is closed`,
      );
    }
    this.#session.check();
    const lost = this.#session.lostRaw;
    if (lost.aborted) throw lost.reason;
  }

  // Queue keys are reused: one per directory for this session (more only while it queues there
  // more than once at a time). etcd keeps every key ever created under a directory in its index
  // until a compaction, and each range over the directory visits them all: fresh keys per
  // acquisition would slow every acquisition down. A key is taken again only after its delete
  // succeeded.
  readonly #keys = new Map<string, Set<string>>();

  #takeKey(dir: string): string {
    let used = this.#keys.get(dir);
    if (!used) this.#keys.set(dir, used = new Set());
    for (let i = 0;; i++) {
      const key = `${dir}${this.#session.lease}-${i.toString(36)}`;
      if (!used.has(key)) {
        used.add(key);
        return key;
      }
    }
  }

  // A key whose delete failed while the session lives (the server unreachable a moment) would
  // hold its lock or leadership for as long as the session: it is deleted again, backing off,
  // until that succeeds, the session is lost (its keys go with its lease) or close() revokes it.
  // Unref'd timers, as the session's: they never keep the program alive.
  #retryFree(dir: string, key: string, w: WriteOptions | undefined): void {
    const stop = this.#endsWaits();
    let pause = 100;
    const again = (): void => {
      if (stop.aborted) return;
      const cancel = (): void => clearTimeout(timer);
      const timer = setTimeout(() => {
        stop.removeEventListener("abort", cancel);
        this.#store.delete(dir, key, w).then(() => this.#freeKey(dir, key), () => {
          pause = Math.min(pause * 2, 5_000);
          again();
        });
      }, pause);
      Deno.unrefTimer(timer);
      stop.addEventListener("abort", cancel, { once: true });
    };
    again();
  }

  #freeKey = (dir: string, key: string): void => {
    const used = this.#keys.get(dir);
    if (used?.delete(key) && used.size === 0) this.#keys.delete(dir);
  };

  // Queues a key under `dir` and resolves once it is the oldest there. The uncontended path is
  // one request and allocates no signal or timer.
  async #enqueue(
    dir: string,
    o: DistributedLockOptions,
    what: string,
    w: WriteOptions | undefined,
  ): Promise<{ key: string; token: bigint }> {
    // Before a key is taken: a key is freed only after its delete, so one taken for a call that
    // never creates it stayed taken (each such call made every later #takeKey scan longer).
    o.signal?.throwIfAborted();
    const key = this.#takeKey(dir);
    // A caller that can give up (timeout, signal) can do so from the start: a create under way on
    // a frozen or unreachable server lasts up to the TTL. Without either, the uncontended path
    // allocates no signal or timer.
    const giveUp = o.timeout !== undefined || o.signal ? this.#giveUp(o, what) : undefined;
    let stop = giveUp?.stop;
    // Whatever ends the call before it holds, its key must not stay queued on the server (a key
    // in no lease set would block the queue for as long as this member lives).
    const drop = (): Promise<void> =>
      this.#store.delete(dir, key, w).then(() => this.#freeKey(dir, key), () => {});
    const creating = this.#store.create(dir, key, this.memberId, this.#session.lease, w);
    let created: Created;
    try {
      if (stop === undefined) created = await creating;
      else {
        const aborted = abortPromise(stop);
        try {
          created = await Promise.race([creating, aborted.promise]);
        } finally {
          aborted.detach();
        }
      }
    } catch (error) {
      giveUp?.done.abort(DONE);
      // The create may have landed, or land later: the key goes once it has settled.
      void creating.then(drop, drop);
      // close() may end the request under way (its key is already queued): say why.
      if (stop?.aborted) throw stop.reason;
      throw this.#closing.signal.aborted ? this.#closing.signal.reason : error;
    }
    const createRev = created.createRev;
    if (created.ahead === undefined && !stop?.aborted) {
      giveUp?.done.abort(DONE);
      return { key, token: createRev };
    }
    stop ??= this.#endsWaits();
    try {
      if (this.#store.waitFirst) {
        await this.#store.waitFirst(dir, createRev, stop);
      } else {
        let { ahead: kv, rev } = created;
        while (kv) {
          stop.throwIfAborted();
          let oldest = false;
          for await (const event of this.#store.watch(dir, kv.key, rev + 1n, stop)) {
            if (event.type !== "delete") continue;
            oldest = event.oldest === true;
            break;
          }
          // Nothing was older than the key just ahead, and later keys are younger than ours.
          if (oldest) break;
          // The key ahead is gone; one created before it may still wait (it was not the holder).
          ({ kv, rev } = await this.#store.before(dir, createRev));
        }
      }
      stop.throwIfAborted();
      return { key, token: createRev };
    } catch (error) {
      await drop();
      throw stop.aborted ? stop.reason : error;
    } finally {
      giveUp?.done.abort(DONE);
    }
  }

  // What ends a wait that cannot give up by itself: the session's loss and close(). Most waits
  // share it, made once (each AbortSignal.any() is tens of µs, and registers with its sources
  // until it is collected).
  #endsWaits(): AbortSignal {
    return this.#waitStop ??= AbortSignal.any([this.#session.lostRaw, this.#closing.signal]);
  }

  // What ends a wait the caller can give up: its timeout (from now), its signal, the session's
  // loss and close(); `done` ends the timer. The timeout's own controller only with a timeout:
  // each AbortController, and the DOMException an abort() without a reason makes, costs µs.
  #giveUp(o: DistributedLockOptions, what: string): { stop: AbortSignal; done: AbortController } {
    const stops = [this.#session.lostRaw, this.#closing.signal];
    const done = new AbortController();
    if (o.timeout !== undefined) {
      const timedOut = new AbortController();
      stops.unshift(timedOut.signal);
      this.#clock.sleep(o.timeout, { signal: done.signal }).then(
        () =>
          timedOut.abort(
            new DOMException(`Timed out after ${o.timeout} ms waiting for ${what}`, "TimeoutError"),
          ),
        () => {},
      );
    }
    if (o.signal) stops.push(o.signal);
    return { stop: AbortSignal.any(stops), done };
  }

  #track<H extends Holding>(h: H): H {
    this.#holdings.add(h);
    return h;
  }

  // Each call checks its arguments and that the coordinator is open synchronously, so a call that
  // cannot start throws at once (API.md's rule); its work then settles through the promise.

  lock(name: string, o: DistributedLockOptions = {}): Promise<DistributedLock> {
    checkName(name, "name", "lock");
    checkCallOptions(o, `lock "${name}"`);
    const { timeout } = o;
    if (timeout !== undefined) {
      checkNumber(timeout, `lock "${name}"`, "timeout", "a number >= 0", (n) => n >= 0);
    }
    this.#checkOpen(`lock "${name}"`);
    return (async () => {
      const dir = `fjord/lock/${enc(name)}/`;
      const { key, token } = await this.#enqueue(dir, o, `lock "${name}"`, QUEUE);
      return this.#track(new HeldLock(name, dir, key, token, this.#holdingContext));
    })();
  }

  tryLock(name: string): Promise<DistributedLock | undefined> {
    checkName(name, "name", "try a lock");
    this.#checkOpen(`lock "${name}"`);
    return (async () => {
      const dir = `fjord/lock/${enc(name)}/`;
      const key = this.#takeKey(dir);
      const { createRev, ahead } = await this.#store.create(
        dir,
        key,
        this.memberId,
        this.#session.lease,
        QUEUE,
      );
      if (ahead !== undefined) {
        await this.#store.delete(dir, key, QUEUE);
        this.#freeKey(dir, key);
        return undefined;
      }
      return this.#track(new HeldLock(name, dir, key, createRev, this.#holdingContext));
    })();
  }

  join(group: string, o: { capabilities?: unknown } = {}): Promise<void> {
    checkName(group, "group", "join a group");
    checkCallOptions(o, `join "${group}"`);
    let value: string | undefined;
    try {
      value = JSON.stringify(o.capabilities ?? null);
    } catch (error) {
      throw new TypeError(
        `Cannot join "${group}" as 'capabilities' is not JSON data: ${String(error)}`,
      );
    }
    this.#checkOpen(`join "${group}"`);
    return (async () => {
      const dir = `fjord/group/${enc(group)}/`;
      await this.#store.put(dir, dir + enc(this.memberId), value, this.#session.lease);
    })();
  }

  leave(group: string): Promise<void> {
    checkName(group, "group", "leave a group");
    this.#checkOpen(`leave "${group}"`);
    return (async () => {
      const dir = `fjord/group/${enc(group)}/`;
      await this.#store.delete(dir, dir + enc(this.memberId));
    })();
  }

  members(group: string): Promise<Member[]> {
    checkName(group, "group", "list members");
    this.#checkOpen(`list "${group}"`);
    return (async () => {
      const dir = `fjord/group/${enc(group)}/`;
      const { kvs } = await this.#store.range(dir);
      return kvs.map((kv) => memberOf(dir, kv.key, kv.value));
    })();
  }

  watch(group: string, o: { signal?: AbortSignal } = {}): AsyncIterable<MembershipEvent> {
    checkName(group, "group", "watch a group");
    checkCallOptions(o, `watch "${group}"`);
    this.#checkOpen(`watch "${group}"`);
    return this.#watch(`fjord/group/${enc(group)}/`, o.signal ?? neverAborted());
  }

  async *#watch(dir: string, signal: AbortSignal): AsyncGenerator<MembershipEvent> {
    const stop = AbortSignal.any([signal, this.#closing.signal]);
    if (stop.aborted) return;
    const { kvs, rev } = await this.#store.range(dir);
    const known = new Map(kvs.map((kv) => [kv.key, memberOf(dir, kv.key, kv.value)]));
    try {
      for await (const event of this.#store.watch(dir, undefined, rev + 1n, stop)) {
        if (event.type === "put") {
          const member = memberOf(dir, event.key, event.value);
          const isNew = !known.has(event.key);
          known.set(event.key, member);
          if (isNew) yield { type: "join", member };
        } else {
          const member = known.get(event.key) ?? memberOf(dir, event.key, "null");
          known.delete(event.key);
          yield { type: "leave", member };
        }
      }
    } catch (error) {
      if (!stop.aborted) throw error;
    }
  }

  campaign(group: string, o: { signal?: AbortSignal } = {}): Promise<Leadership> {
    checkName(group, "group", "campaign");
    checkCallOptions(o, `campaign in "${group}"`);
    this.#checkOpen(`campaign in "${group}"`);
    return (async () => {
      const dir = `fjord/election/${enc(group)}/`;
      const { key, token } = await this.#enqueue(dir, o, `leadership of "${group}"`, OWN);
      return this.#track(new HeldLeadership(group, dir, key, token, this.#holdingContext));
    })();
  }

  leader(group: string): Promise<string | undefined> {
    checkName(group, "group", "look up a leader");
    this.#checkOpen(`look up the leader of "${group}"`);
    return (async () => {
      const { kvs } = await this.#store.range(`fjord/election/${enc(group)}/`);
      return kvs[0]?.value;
    })();
  }

  observe(group: string, o: { signal?: AbortSignal } = {}): AsyncIterable<string | undefined> {
    checkName(group, "group", "observe a group");
    checkCallOptions(o, `observe "${group}"`);
    this.#checkOpen(`observe "${group}"`);
    return this.#observe(`fjord/election/${enc(group)}/`, o.signal ?? neverAborted());
  }

  async *#observe(dir: string, signal: AbortSignal): AsyncGenerator<string | undefined> {
    const stop = AbortSignal.any([signal, this.#closing.signal]);
    if (stop.aborted) return;
    const { kvs, rev } = await this.#store.range(dir);
    const queue = new Map<string, KV>(kvs.map((kv) => [kv.key, kv]));
    const leaderOf = (): string | undefined => {
      let first: KV | undefined;
      for (const kv of queue.values()) if (!first || kv.createRev < first.createRev) first = kv;
      return first?.value;
    };
    let current = leaderOf();
    yield current;
    try {
      for await (const event of this.#store.watch(dir, undefined, rev + 1n, stop)) {
        if (event.type === "put") queue.set(event.key, event);
        else queue.delete(event.key);
        const next = leaderOf();
        if (next !== current) {
          current = next;
          yield current;
        }
      }
    } catch (error) {
      if (!stop.aborted) throw error;
    }
  }

  /** Claims periodic tick `index` of `name`: its token when this call won it, else undefined. */
  [claimTick](name: string, index: number): Promise<bigint | undefined> {
    this.#checkOpen(`run "${name}"`);
    return (async () => {
      const dir = `fjord/tick/${enc(name)}/`;
      const pad = (i: number): string => String(i).padStart(16, "0");
      const { createRev, created } = await this.#store.create(
        dir,
        dir + pad(index),
        this.memberId,
        this.#session.lease,
      );
      if (!created) return undefined;
      // A member that numbered its tick just before a boundary may claim it after another member
      // claimed the next one: that tick is stale (the newer one already ran, with a smaller
      // token), so it is given up and tokens keep increasing with the ticks.
      const mine = dir + pad(index);
      const { kvs } = await this.#store.range(dir);
      if (kvs.some((kv) => kv.key > mine && kv.createRev < createRev)) {
        await this.#store.delete(dir, mine).catch(() => {});
        return undefined;
      }
      // Older ticks are settled; keep the previous one so a member a little behind cannot redo it.
      await this.#store.delete(dir, dir + pad(index - 2)).catch(() => {});
      return createRev;
    })();
  }

  /** Clock-checked lost signal for helpers in this folder. */
  get lostSignal(): AbortSignal {
    return this.#session.lost;
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      const reason = new CoordinatorUnavailableError(this.#url, "the coordinator was closed");
      this.#closing.abort(reason);
      // Requests under way (a keepalive, a lock's create) are not waited out: on a frozen server
      // each would take its whole retry budget before the revoke even starts.
      this.#store.closing?.();
      for (const h of [...this.#holdings]) h.drop(reason);
      this.#holdings.clear();
      // Every key not yet deleted for sure (a key is freed only after its delete succeeded).
      const keys: string[] = [];
      for (const used of this.#keys.values()) keys.push(...used);
      await this.#session.close(keys);
      await this.#store.close();
    })();
    return this.#closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function memberOf(dir: string, key: string, value: string): Member {
  let capabilities: unknown = null;
  try {
    capabilities = JSON.parse(value);
  } catch {
    capabilities = value;
  }
  return { id: decodeURIComponent(key.slice(dir.length)), capabilities };
}
