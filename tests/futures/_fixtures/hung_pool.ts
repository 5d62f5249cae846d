// A program whose pool runs a task that never ends (a busy loop, or a promise that never
// settles). Args: "worker" | "process", "spin" | "hang", then what to do: "shutdown" (shutdown
// with cancelFutures and a timeout: the program must exit; prints one JSON line) or "wait"
// followed by a directory (each hung task writes its process's pid there as a file name; then
// the program waits to be killed).
import { ProcessPoolExecutor, WorkerPoolExecutor } from "../../../futures/mod.ts";
import { setLogger } from "../../../runtime/logger.ts";

const quiet = (): void => {};
setLogger({ debug: quiet, info: quiet, warning: quiet, error: quiet });
const [kind = "worker", how = "spin", then = "shutdown", dir = ""] = Deno.args;
const tasks = new URL("./tasks.ts", import.meta.url);
// One task per worker at a time, so the two hung tasks run in different workers.
const options = { maxWorkers: 2, tasksPerWorker: 1 };
const ex = kind === "process" ? new ProcessPoolExecutor(options) : new WorkerPoolExecutor(options);
if (then === "wait") {
  for (let i = 0; i < 2; i++) ex.submit({ module: tasks, export: "pidThenHang" }, dir, how);
  await new Promise(() => {});
}
const pids = await Promise.all(
  [0, 1].map(() => ex.submit<number>({ module: tasks, export: "pid" })),
);
const hung = [0, 1].map(() =>
  how === "spin"
    ? ex.submit({ module: tasks, export: "spin" }, 3_600_000)
    : ex.submit({ module: tasks, export: "hang" })
);
const queued = ex.submit({ module: tasks, export: "add" }, 1, 1);
await new Promise((r) => setTimeout(r, 100));
const t0 = performance.now();
await ex.shutdown({ cancelFutures: true, timeout: 200 });
// deno-lint-ignore no-console
console.log(JSON.stringify({
  ms: Math.round(performance.now() - t0),
  hung: hung.map((f) => f.cancelled()),
  queued: queued.cancelled(),
  pids: [...new Set(pids)],
}));
