// Deno's own RSS growth over N worker starts, measured once per chaos run and isolation. A
// launcher cannot grow less than the runtime that starts its workers: bare Deno grows ~20–28 MiB
// over its first 1 000 `deno run` children and ~4–12 MiB over 1 000 Web Workers before it levels
// off (Deno 2.9, this machine), so the memory scenarios hold the launcher to that floor + 10 MiB.

const FIXTURE = new URL("./_fixtures/bare_spawn.ts", import.meta.url).pathname;
const cache = new Map<string, Promise<number>>();

/** Bytes bare Deno's RSS grows from start `cycles / 10` to start `cycles`. */
export function spawnFloorGrowth(isolation: "worker" | "process", cycles: number): Promise<number> {
  const key = `${isolation} ${cycles}`;
  let growth = cache.get(key);
  if (growth === undefined) {
    growth = (async () => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--v8-flags=--expose-gc", FIXTURE, isolation, String(cycles)],
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
