// Run without --allow-read: the pool's Workers cannot load their entry module. Prints what the
// future failed with as one JSON line.
import { WorkerPoolExecutor } from "../../../futures/mod.ts";
import { setLogger } from "../../../backends/mod.ts";

const quiet = (): void => {};
setLogger({ debug: quiet, info: quiet, warning: quiet, error: quiet });
// "default": the default restart policy, whose back-off once held the task ~21 s.
const ex = new WorkerPoolExecutor(
  Deno.args[0] === "default"
    ? { maxWorkers: 1 }
    : { maxWorkers: 1, restart: { maxRestarts: 2, backoff: { initial: 10 } } },
);
const t0 = performance.now();
const task = { module: "data:text/javascript,export function f() { return 1; }", export: "f" };
const err = await ex.submit(task).exception() as Error;
const broken = ex.broken;
await ex.shutdown();
// deno-lint-ignore no-console
console.log(
  JSON.stringify({ name: err.name, message: err.message, broken, ms: performance.now() - t0 }),
);
