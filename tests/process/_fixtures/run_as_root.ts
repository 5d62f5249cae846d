// deno-lint-ignore-file no-console -- the test reads this fixture's verdict from stdout
// Run as a non-root user: runAsRoot must apply the root helper, and refuse to run without one.
import { execute } from "../../../process/mod.ts";

let withoutHelper = "";
try {
  execute(["true"], { runAsRoot: true });
} catch (err) {
  withoutHelper = (err as Error).name;
}
const { stdout } = await execute(["sh", "-c", "echo $FJORD_HELPER $(id -u)"], {
  runAsRoot: true,
  rootHelper: "env FJORD_HELPER=applied",
});
console.log(JSON.stringify({ withoutHelper, stdout }));
