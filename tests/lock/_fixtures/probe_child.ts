// Child process: tries lock(name, {external, blocking: false}) once and prints "acquired" or
// "busy".
import { AcquireLockFailedError, lock } from "../../../lock/mod.ts";

const [lockPath, name] = Deno.args;
try {
  await (await lock(name!, { external: true, lockPath: lockPath!, blocking: false })).release();
  // deno-lint-ignore no-console
  console.log("acquired");
} catch (e) {
  if (!(e instanceof AcquireLockFailedError)) throw e;
  // deno-lint-ignore no-console
  console.log("busy");
}
