// Child process: tries one fcntl-mode external lock in Deno.args[0] and prints the outcome
// (run without --allow-ffi by the permission test).
import { lock } from "../../../lock/mod.ts";

try {
  await (await lock("x", { external: true, lockPath: Deno.args[0]!, fileLockMode: "fcntl" }))
    .release();
  // deno-lint-ignore no-console
  console.log("acquired");
} catch (e) {
  // deno-lint-ignore no-console
  console.log(`${(e as Error).name}: ${(e as Error).message}`);
}
