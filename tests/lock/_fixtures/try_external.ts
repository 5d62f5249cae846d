// Child process: tries one external lock in Deno.args[0] and prints the outcome.
import { lock } from "../../../lock/mod.ts";

try {
  await (await lock("x", { external: true, lockPath: Deno.args[0]! })).release();
  // deno-lint-ignore no-console
  console.log("acquired");
} catch (e) {
  // deno-lint-ignore no-console
  console.log(`${(e as Error).name}: ${(e as Error).message}`);
}
