/**
 * Restart intensity and back-off for supervised workers, shared by launchers and pools (the
 * OTP supervisor rule: at most `maxRestarts` restarts within `window` ms, else give up).
 *
 * @module
 */

import type { Clock } from "./clock.ts";
import { checkNumber } from "./_check_number.ts";
import { describeValue } from "./_describe.ts";
import { checkKnownKeys } from "./_check_options.ts";

/**
 * How a supervisor restarts workers that die. At most `maxRestarts` restarts of one worker
 * within `window` ms; one more means the worker is crash-looping and the supervisor gives up
 * (a launcher stops with `RestartIntensityError`, a pool becomes broken). The first restart is
 * immediate; each further restart within the window waits `backoff.initial × factor^(n-1)` ms,
 * capped at `backoff.max`.
 *
 * Defaults: `maxRestarts: 10`, `window: 60_000`, `backoff: { initial: 100, factor: 2, max: 5_000 }`
 * — a worker that dies at once every time is given up after about 20 s.
 *
 * @example
 * ```ts
 * import type { RestartPolicy } from "@fjord/fjord";
 *
 * // Give up after 3 restarts in 10 s, waiting 50, 100, ... ms between them.
 * const policy: RestartPolicy = { maxRestarts: 3, window: 10_000, backoff: { initial: 50 } };
 * ```
 */
export interface RestartPolicy {
  /** Restarts of one worker allowed within `window` (default 10; `Infinity`: never give up). */
  maxRestarts?: number;
  /** The intensity window in ms (default 60 000). */
  window?: number;
  /** Delay between restarts of a worker that keeps dying. */
  backoff?: {
    /** The delay before the second restart within the window, ms: finite, ≥ 0 (default 100). */
    initial?: number;
    /** The largest delay, ms: finite, ≥ `initial` (default 5 000). */
    max?: number;
    /** The growth factor per restart, ≥ 1 (default 2). */
    factor?: number;
  };
}

/** A {@linkcode RestartPolicy} with every default filled in. */
export interface ResolvedRestartPolicy {
  readonly maxRestarts: number;
  readonly window: number;
  readonly initial: number;
  readonly max: number;
  readonly factor: number;
}

/** The defaults of {@linkcode RestartPolicy}. */
export const DEFAULT_RESTART_POLICY: ResolvedRestartPolicy = Object.freeze({
  maxRestarts: 10,
  window: 60_000,
  initial: 100,
  max: 5_000,
  factor: 2,
});

// Records, not lists: the type checker says when a field is added and not listed here.
const POLICY_KEYS = Object.keys(
  { maxRestarts: true, window: true, backoff: true } satisfies Record<keyof RestartPolicy, true>,
);
const BACKOFF_KEYS = Object.keys(
  { initial: true, max: true, factor: true } satisfies Record<
    keyof NonNullable<RestartPolicy["backoff"]>,
    true
  >,
);

function check(
  value: unknown,
  name: string,
  min: number,
  fallback: number,
  kind: "integer" | "finite" | "any" = "any",
): number {
  if (value === undefined) return fallback;
  const what = kind === "integer"
    ? "an integer"
    : kind === "finite"
    ? "a finite number"
    : "a number";
  return checkNumber(
    value,
    "use restart policy",
    name,
    `${what} >= ${min}`,
    (n) =>
      n >= min && // false for NaN
      (kind !== "integer" || n === Infinity || Number.isInteger(n)) &&
      (kind !== "finite" || Number.isFinite(n)),
  );
}

/**
 * Validates `policy` and fills in the defaults.
 *
 * @throws {TypeError} When a field is not a number, the policy or its `backoff` is not an object,
 *   or either has a field it does not know (a misspelt `maxRestart` would keep the default).
 * @throws {RangeError} When a field is a number out of range (NaN included).
 */
export function resolveRestartPolicy(policy: RestartPolicy | undefined): ResolvedRestartPolicy {
  if (policy === undefined) return DEFAULT_RESTART_POLICY;
  if (policy === null || typeof policy !== "object") {
    throw new TypeError(
      `Cannot use restart policy as 'restart' must be an object: current value is ${
        describeValue(policy)
      }`,
    );
  }
  // A misspelt field (`maxRestart`) would keep its default: the knob that decides when a crash
  // loop is given up, found wrong on the worst day.
  checkKnownKeys(policy, "use restart policy", "restart", POLICY_KEYS);
  const d = DEFAULT_RESTART_POLICY;
  const b = policy.backoff ?? {};
  if (typeof b !== "object") {
    throw new TypeError(
      `Cannot use restart policy as 'restart.backoff' must be an object: current value is ${
        describeValue(b)
      }`,
    );
  }
  checkKnownKeys(b, "use restart policy", "restart.backoff", BACKOFF_KEYS);
  // A delay of Infinity (the initial one, or a cap of Infinity that factor ** n reaches) is a
  // sleep that never ends: the worker stayed "restarting" forever. A factor of Infinity stays
  // allowed: it jumps straight to the (finite) cap.
  const initial = check(b.initial, "restart.backoff.initial", 0, d.initial, "finite");
  const resolved = {
    maxRestarts: check(policy.maxRestarts, "restart.maxRestarts", 0, d.maxRestarts, "integer"),
    window: check(policy.window, "restart.window", 1, d.window),
    initial,
    max: check(b.max, "restart.backoff.max", initial, Math.max(d.max, initial), "finite"),
    factor: check(b.factor, "restart.backoff.factor", 1, d.factor),
  };
  return Object.freeze(resolved);
}

/** What a supervisor should do about one death. */
export type RestartDecision =
  | { readonly restart: true; readonly delay: number; readonly restarts: number }
  | { readonly restart: false; readonly restarts: number };

/**
 * Tracks the restarts of one worker (or of one pool's workers) against a policy.
 */
export class RestartTracker {
  readonly policy: ResolvedRestartPolicy;
  readonly #clock: Clock;
  // Times of the restarts within the window, oldest first.
  #times: number[] = [];

  constructor(policy: ResolvedRestartPolicy, clock: Clock) {
    this.policy = policy;
    this.#clock = clock;
  }

  /** Restarts counted within the window now. */
  get recent(): number {
    this.#prune(this.#clock.now());
    return this.#times.length;
  }

  /**
   * Records a death: restart (after `delay` ms) or give up, when this restart would exceed
   * `maxRestarts` within the window.
   */
  onDeath(): RestartDecision {
    const now = this.#clock.now();
    this.#prune(now);
    const n = this.#times.length;
    if (n >= this.policy.maxRestarts) return { restart: false, restarts: n + 1 };
    this.#times.push(now);
    const { initial, factor, max } = this.policy;
    // An initial delay of 0 stays 0: with factor Infinity, 0 × Infinity would be NaN, which no
    // sleep takes (the launcher then failed as if the service could not be launched).
    const delay = n === 0 || initial === 0 ? 0 : Math.min(max, initial * factor ** (n - 1));
    return { restart: true, delay, restarts: n + 1 };
  }

  /** Forgets every restart (e.g. after a deliberate reload). */
  reset(): void {
    this.#times = [];
  }

  #prune(now: number): void {
    const from = now - this.policy.window;
    let i = 0;
    while (i < this.#times.length && this.#times[i]! <= from) i++;
    if (i > 0) this.#times.splice(0, i);
  }
}
