// Run without --allow-read: the pool's Workers cannot load their entry module. Prints what the
// future failed with as one JSON line.
import { WorkerPoolExecutor } from "../../../futures/mod.ts";
import { setLogger } from "../../../backends/mod.ts";

const quiet = (): void => {};
setLogger({ debug: quiet, info: quiet, warning: quiet, error: quiet });
const ex = new WorkerPoolExecutor({
  maxWorkers: 1,
  restart: { maxRestarts: 2, backoff: { initial: 10 } },
});
const task = { module: "data:text/javascript,export function f() { return 1; }", export: "f" };
const err = await ex.submit(task).exception() as Error;
const broken = ex.broken;
await ex.shutdown();
// deno-lint-ignore no-console
console.log(JSON.stringify({ name: err.name, message: err.message, broken }));
