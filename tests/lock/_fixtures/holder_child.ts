// Child process: takes the external lock, says "held", then waits to be killed.
import { lock } from "../../../lock/mod.ts";

const [lockPath, name] = Deno.args;
const _held = await lock(name!, { external: true, lockPath: lockPath! });
// deno-lint-ignore no-console
console.log("held");
setInterval(() => {}, 60_000);
