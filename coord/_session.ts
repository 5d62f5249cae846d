// One lease per coordinator, kept alive every ttl/3 by an unref'd timer (it never keeps the
// process alive). The lease counts as lost when the server says it is gone, or locally when no
// keepalive has succeeded for ttl ms, measured from when that keepalive was SENT: the server's
// expiry is at least that late, so a member never believes it holds what the server freed. The
// local check also runs whenever a handle's signal or assertHeld() is read, so a process that was
// frozen (SIGSTOP) past its TTL sees the loss before its timers get to run. A second unref'd timer
// fires at the deadline itself, so the loss is declared on time even while a keepalive request
// hangs (a frozen server, a black-holed connection): waiting for its failure would abort the
// signals late, or never.

import type { Clock } from "../runtime/clock.ts";
import { getLogger } from "../runtime/logger.ts";
import { CoordinatorUnavailableError } from "./errors.ts";
import type { Store } from "./_store.ts";

export class Session {
  readonly lease: string;
  readonly ttl: number;
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #url: string;
  readonly #lost = new AbortController();
  #lastOk: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #deadline: ReturnType<typeof setTimeout> | undefined;
  #inFlight: Promise<void> | undefined;
  #closed = false;

  constructor(
    store: Store,
    lease: string,
    ttl: number,
    clock: Clock,
    url: string,
    grantedAt: number,
  ) {
    this.#store = store;
    this.lease = lease;
    this.ttl = ttl;
    this.#clock = clock;
    this.#url = url;
    this.#lastOk = grantedAt;
    this.#armDeadline();
    this.#schedule(ttl / 3);
  }

  /** Aborts when the lease is lost; reading it first runs the local TTL check. */
  get lost(): AbortSignal {
    this.check();
    return this.#lost.signal;
  }

  /** The lost signal without the local check (for listeners). */
  get lostRaw(): AbortSignal {
    return this.#lost.signal;
  }

  /** Aborts `lost` when no keepalive succeeded within the TTL. */
  check(): void {
    if (this.#closed || this.#lost.signal.aborted) return;
    const silent = this.#clock.now() - this.#lastOk;
    if (silent > this.ttl) {
      this.#lose(`no keepalive succeeded for ${Math.round(silent)} ms (ttl ${this.ttl} ms)`);
    }
  }

  #lose(detail: string): void {
    if (this.#lost.signal.aborted) return;
    getLogger().warning(`Coordinator session lease ${this.lease} lost: ${detail}`);
    this.#lost.abort(new CoordinatorUnavailableError(this.#url, `session lease lost: ${detail}`));
    this.#clear();
    this.#armDeadline();
  }

  #clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  // (Re)arms the timer that runs the local check just past lastOk + ttl; once the session is
  // closed or lost, only clears it.
  #armDeadline(): void {
    if (this.#deadline !== undefined) clearTimeout(this.#deadline);
    this.#deadline = undefined;
    if (this.#closed || this.#lost.signal.aborted) return;
    const left = this.#lastOk + this.ttl - this.#clock.now();
    const timer = setTimeout(() => {
      this.#deadline = undefined;
      this.check();
      // Not lost yet (the clock read a little early, or a keepalive just succeeded): again.
      if (!this.#lost.signal.aborted) this.#armDeadline();
    }, Math.max(1, left + 1));
    Deno.unrefTimer(timer);
    this.#deadline = timer;
  }

  #schedule(ms: number): void {
    this.#clear();
    if (this.#closed || this.#lost.signal.aborted) return;
    const timer = setTimeout(() => {
      this.#timer = undefined;
      this.#inFlight = this.#beat().finally(() => (this.#inFlight = undefined));
    }, Math.max(1, ms));
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  async #beat(): Promise<void> {
    this.check();
    if (this.#closed || this.#lost.signal.aborted) return;
    const sentAt = this.#clock.now();
    try {
      const alive = await this.#store.keepAlive(this.lease, this.ttl);
      if (this.#closed) return;
      if (!alive) return this.#lose("the server no longer knows the lease");
      if (sentAt > this.#lastOk) {
        this.#lastOk = sentAt;
        this.#armDeadline();
      }
      this.check();
      this.#schedule(this.ttl / 3);
    } catch (error) {
      if (this.#closed) return;
      getLogger().debug(`Coordinator keepalive failed: ${String(error)}`);
      this.check();
      // Retry sooner, and wake up at the deadline to declare the loss on time.
      const left = this.#lastOk + this.ttl - this.#clock.now();
      this.#schedule(Math.max(1, Math.min(this.ttl / 10, left + 1)));
    }
  }

  /**
   * Stops the keepalives and revokes the lease (its keys go with it, and the lock-queue keys it
   * may still have: see Store.revoke).
   */
  async close(queueKeys: Iterable<string> = []): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#clear();
    this.#armDeadline();
    await this.#inFlight;
    if (!this.#lost.signal.aborted) {
      this.#lost.abort(new CoordinatorUnavailableError(this.#url, "the coordinator was closed"));
    }
    // Revoked even when the lease was lost: a loss declared locally (no keepalive within the
    // TTL) may leave the lease alive on the server, and the memory store has no expiry at all,
    // so its keys (locks, leadership, membership) stayed for good and every waiter waited
    // forever. The keys are named after this lease: nobody else's are touched. A lease the
    // server already dropped makes this a no-op or an error, logged.
    await this.#store.revoke(this.lease, queueKeys).catch((error) =>
      getLogger().debug(`Coordinator lease revoke failed: ${String(error)}`)
    );
  }
}
