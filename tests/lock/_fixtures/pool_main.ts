// Child process main module that imports the executors and never lock/ itself: runs two
// pool tasks that each hold lock("pool-main") for 500 ms and prints whether they overlapped.
import { WorkerPoolExecutor } from "../../../futures/mod.ts";

const ref = { module: new URL("./pool_lock_task.ts", import.meta.url), export: "holdFor" };
await using pool = new WorkerPoolExecutor({ maxWorkers: 2 });
const [a, b] = await Promise.all(
  [0, 1].map(() => pool.submit<[number, number]>(ref, "pool-main", 500).result()),
);
// deno-lint-ignore no-console
console.log(a![0] < b![1] && b![0] < a![1] ? "overlapped" : "excluded");
