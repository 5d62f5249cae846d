// A process pool from a program given only --allow-run, run at a terminal by
// process_pool_terminal_test.ts: its look for setpriv (which sets the children's parent-death
// signal) must not stop it at a read prompt for /usr/bin/setpriv.
import { ProcessPoolExecutor } from "../../../futures/mod.ts";

await using ex = new ProcessPoolExecutor({ maxWorkers: 1 });
const task = { module: "data:text/javascript,export function f() { return 41 + 1; }", export: "f" };
// deno-lint-ignore no-console
console.log(`done ${await ex.submit(task).result()}`);
