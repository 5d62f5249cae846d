// Deno's own RSS growth over N worker starts, measured once per chaos run and isolation. A
// launcher cannot grow less than the runtime that starts its workers: bare Deno grows ~8–28 MiB
// over its first 1 000 `deno run` children, and 1.6–5.3 MiB from Worker 100 to Worker 1 000 of
// Workers that load a launcher worker's modules (still ~2 KiB a Worker after that, where Workers
// of an empty module level off; Deno 2.9, this machine), so the memory scenarios hold the
// launcher to that floor + 10 MiB.

const FIXTURE = new URL("./_fixtures/bare_spawn.ts", import.meta.url).pathname;
const cache = new Map<string, Promise<number>>();

/**
 * Bytes bare Deno's RSS grows from start `cycles / 10` to start `cycles`, run with `env` added to
 * the environment (the measured launcher's own, so both use the same allocator settings).
 */
export function spawnFloorGrowth(
  isolation: "worker" | "process",
  cycles: number,
  env: Record<string, string> = {},
): Promise<number> {
  const key = `${isolation} ${cycles} ${JSON.stringify(env)}`;
  let growth = cache.get(key);
  if (growth === undefined) {
    growth = (async () => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--v8-flags=--expose-gc", FIXTURE, isolation, String(cycles)],
        env,
        stdout: "piped",
        stderr: "inherit",
        signal: AbortSignal.timeout(20 * 60_000),
      }).output();
      const r = JSON.parse(new TextDecoder().decode(out.stdout).trim()) as {
        rssEarly: number;
        rssEnd: number;
      };
      return Math.max(0, r.rssEnd - r.rssEarly);
    })();
    cache.set(key, growth);
  }
  return growth;
}
