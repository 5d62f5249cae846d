// Uses a ProcessPoolExecutor and never shuts it down: the program must still end, and the child
// must follow (stdin EOF). Prints the child's pid.
import { ProcessPoolExecutor } from "../../../futures/mod.ts";

const ex = new ProcessPoolExecutor({ maxWorkers: 1 });
const pid = await ex.submit({ module: new URL("./tasks.ts", import.meta.url), export: "pid" });
// deno-lint-ignore no-console
console.log(JSON.stringify({ pid }));
