// deno-lint-ignore-file -- a node script (the peers side), not Deno code: no types, console by design
// Per pending task memory of the node pools (workload MEM), as bench/mem.ts measures fjord:
// 100,000 no-op tasks submitted at once to a 2-thread pool (nothing runs before this code
// yields), V8 heap used after a full GC minus before, / 100,000.
// usage: node --expose-gc pools.mjs PEERS_DIR   (uses the kit's node_modules and noop worker)
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const kit = process.argv[2] + "/node/";
const require = createRequire(kit);
const PENDING = 100_000;
const NOOP = pathToFileURL(kit + "workers/noop.mjs").href;

function emit(peer, metric, value, unit) {
  process.stdout.write(
    JSON.stringify({ peer, workload: "MEM", metric, value: Number(value.toPrecision(6)), unit }) +
      "\n",
  );
}

const { default: Piscina } = await import(pathToFileURL(require.resolve("piscina")).href);
const { default: Tinypool } = await import(pathToFileURL(require.resolve("tinypool")).href);
for (
  const [peer, pool] of [
    ["piscina(2 threads)", new Piscina({ filename: NOOP, minThreads: 2, maxThreads: 2 })],
    ["tinypool(2 threads)", new Tinypool({ filename: NOOP, minThreads: 2, maxThreads: 2 })],
  ]
) {
  await pool.run(1);
  globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  const ps = [];
  for (let i = 0; i < PENDING; i++) ps.push(pool.run(i));
  globalThis.gc();
  const per = (process.memoryUsage().heapUsed - before) / PENDING;
  await Promise.all(ps);
  await pool.destroy();
  console.error(`${peer}: ${per.toFixed(0)} bytes per pending task`);
  emit(peer, "bytes_per_pending_task", per, "bytes");
}
