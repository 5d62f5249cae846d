// A seeded PRNG for the chaos scenarios, so that a failure reproduces: every failure line names
// the seed, and FJORD_CHAOS_SEED=<seed> replays the run.

/** The run's seed: FJORD_CHAOS_SEED when set, else a fresh one. */
export function chaosSeed(): number {
  let fromEnv: string | undefined;
  try {
    fromEnv = Deno.env.get("FJORD_CHAOS_SEED");
  } catch {
    // No --allow-env: a fresh seed.
  }
  const n = Number(fromEnv);
  return fromEnv !== undefined && Number.isInteger(n) ? n >>> 0 : (Math.random() * 2 ** 32) >>> 0;
}

/** Random helpers over mulberry32 (fast, 32-bit state, good enough for input generation). */
export class Prng {
  #a: number;
  constructor(seed: number) {
    this.#a = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.#a = (this.#a + 0x6d2b79f5) >>> 0;
    let t = this.#a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** One element of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  /** A string of `length` characters drawn from `alphabet`. */
  text(alphabet: string, length: number): string {
    let out = "";
    for (let i = 0; i < length; i++) out += alphabet[this.int(alphabet.length)];
    return out;
  }
}
