// Test helpers for tests/futures (not collected: no _test suffix).

/** The largest number of [start, end] intervals that overlap at one moment. */
export function maxOverlap(intervals: [number, number][]): number {
  const points = intervals.flatMap(([s, e]) => [[s, 1], [e, -1]] as [number, number][]);
  // At equal times an end comes before a start: touching intervals do not overlap.
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let peak = 0;
  for (const [, d] of points) peak = Math.max(peak, now += d);
  return peak;
}

/** Runs a fixture program; returns its exit code and its stdout's JSON line. */
export async function runFixture(
  name: string,
  args: string[],
  timeoutMs = 60_000,
): Promise<{ code: number; json: Record<string, unknown>; stderr: string }> {
  const script = new URL(`./_fixtures/${name}`, import.meta.url);
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-run",
      "--allow-env",
      "--quiet",
      script.pathname,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  const stderr = new TextDecoder().decode(out.stderr);
  return { code: out.code, json: text === "" ? {} : JSON.parse(text), stderr };
}

/**
 * Whether process `pid` exists (signal 0 is not offered by Deno.kill, and reading /proc needs
 * --allow-all: SIGCONT is harmless to a running process and fails once it is gone and reaped).
 */
export function isAlive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

/** Polls `cond` every 20 ms until it holds or `ms` pass; returns whether it held. */
export async function waitUntil(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}
