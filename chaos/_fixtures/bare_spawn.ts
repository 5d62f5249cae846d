// `deno run --v8-flags=--expose-gc bare_spawn.ts <worker|process> <cycles>`: Deno's own memory
// floor for launcher workers. Starts `cycles` short-lived Web Workers (loading a launcher worker's
// modules, graph_worker.ts) or `deno run` children (piped stdio, as a launcher's) one after
// another, each ending right after it starts, and prints one JSON line: RSS after the first 10 %
// and at the end, and at every tenth in MiB (`marks`).

const isolation = Deno.args[0];
const cycles = Number(Deno.args[1]);
const early = Math.max(1, Math.floor(cycles / 10));
const gc = (globalThis as { gc?: () => void }).gc;
const workerUrl = new URL("./graph_worker.ts", import.meta.url).href;

async function once(): Promise<void> {
  if (isolation === "worker") {
    const w = new Worker(workerUrl, { type: "module" });
    await new Promise((resolve) => w.onmessage = resolve);
    w.terminate();
    return;
  }
  const c = new Deno.Command(Deno.execPath(), {
    args: ["eval", "Deno.exit(1)"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await c.stdin.close();
  await Promise.all([new Response(c.stdout).arrayBuffer(), new Response(c.stderr).arrayBuffer()]);
  await c.status;
}

let rssEarly = 0;
const marks: number[] = [];
for (let i = 1; i <= cycles; i++) {
  await once();
  if (i % early === 0) marks.push(Math.round(Deno.memoryUsage().rss / 2 ** 20));
  if (i === early) {
    gc?.();
    rssEarly = Deno.memoryUsage().rss;
  }
}
gc?.();
Deno.stdout.writeSync(
  new TextEncoder().encode(
    JSON.stringify({ rssEarly, rssEnd: Deno.memoryUsage().rss, marks }) + "\n",
  ),
);
