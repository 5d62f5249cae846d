// deno-lint-ignore-file no-console -- benchmarks report on stdout/stderr by design
// Shared helpers for fjord's benchmarks. Every bench script prints one JSON object per line on
// stdout, in the peer kit's format: {"peer", "workload", "metric", "value", "unit"}; diagnostics go
// to stderr; a failed correctness check exits non-zero. Same definitions as
// ../shared/peers/node/common.mjs, so figures compare one to one.

export function emit(
  peer: string,
  workload: string,
  metric: string,
  value: number,
  unit: string,
): void {
  const v = Number.isInteger(value) ? value : Number(value.toPrecision(6));
  console.log(JSON.stringify({ peer, workload, metric, value: v, unit }));
}

export function log(...args: unknown[]): void {
  console.error(...args);
}

// What check() ends before it exits: it exits at once, past every `finally`, so a program a bench
// started (a launcher runs until signalled) would otherwise be left running.
const atFailure = new Set<() => void>();

/** Spawns `cmd` and has it SIGKILLed if a check fails while it runs. */
export function spawnEndedOnFailure(cmd: Deno.Command): Deno.ChildProcess {
  const child = cmd.spawn();
  const end = (): void => {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  };
  atFailure.add(end);
  void child.status.then(() => atFailure.delete(end));
  return child;
}

export function check(cond: boolean, msg: string): void {
  if (!cond) {
    console.error("CORRECTNESS FAILURE: " + msg);
    for (const end of atFailure) end();
    Deno.exit(2);
  }
}

/** Nearest-rank percentile (the peer kit's definition). */
export function percentile(values: readonly number[], p: number): number {
  const xs = [...values].sort((a, b) => a - b);
  if (xs.length === 0) throw new RangeError("Cannot take a percentile of no values");
  const rank = Math.max(1, Math.ceil((p / 100) * xs.length));
  return xs[rank - 1]!;
}

export function median(values: readonly number[]): number {
  const xs = [...values].sort((a, b) => a - b);
  const n = xs.length;
  return n % 2 ? xs[(n - 1) / 2]! : (xs[n / 2 - 1]! + xs[n / 2]!) / 2;
}

export function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

export function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

export const FIB_N = 30;
export const FIB_EXPECTED = 832040;

// Short workloads are repeated: trials run until TRIAL_MAX trials or TRIAL_BUDGET_MS of wall time
// have been spent (at least one); scripts report the median trial (the peer kit's rule).
export const TRIAL_MAX = 5;
export const TRIAL_BUDGET_MS = 2000;

export async function repeat<T>(trial: () => Promise<T> | T): Promise<T[]> {
  const out: T[] = [];
  const t0 = performance.now();
  while (
    out.length < TRIAL_MAX && (out.length === 0 || performance.now() - t0 < TRIAL_BUDGET_MS)
  ) {
    out.push(await trial());
  }
  return out;
}

/** The integer after `--name` in the script's arguments, or `fallback`. */
export function intArg(name: string, fallback: number): number {
  const i = Deno.args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(Deno.args[i + 1]);
  if (!Number.isInteger(v) || v < 1) {
    throw new RangeError(`--${name} must be an integer >= 1, got ${Deno.args[i + 1]}`);
  }
  return v;
}
