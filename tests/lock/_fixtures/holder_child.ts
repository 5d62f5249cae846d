// Child process: takes the external lock (file lock mode: optional 3rd argument), says "held",
// then waits to be killed.
import { type FileLockMode, lock } from "../../../lock/mod.ts";

const [lockPath, name, mode] = Deno.args;
const fileLockMode = (mode ?? "flock") as FileLockMode;
const _held = await lock(name!, { external: true, lockPath: lockPath!, fileLockMode });
// deno-lint-ignore no-console
console.log("held");
setInterval(() => {}, 60_000);
