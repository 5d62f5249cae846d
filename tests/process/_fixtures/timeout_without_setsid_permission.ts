// deno-lint-ignore-file no-console -- the test reads this fixture's verdict from stdout
// Run with --allow-run=sh only: a timeout must still kill the child and settle promptly, though
// Deno.kill() on the process group is not allowed (the test cleans up the grandchild, whose pid
// the script writes to the file named by the first argument).
import { execute, ProcessTimeoutError } from "../../../process/mod.ts";

const pidFile = Deno.args[0]!;
const quick = await execute(["sh", "-c", "echo ok"], { timeout: 30_000 });
let timedOut = false;
try {
  await execute(["sh", "-c", `sleep 30 & echo $! > ${pidFile}; wait`], { timeout: 300 });
} catch (err) {
  timedOut = err instanceof ProcessTimeoutError;
}
console.log(JSON.stringify({ stdout: quick.stdout, timedOut }));
