// execute({ runAsRoot }) from a program given only --allow-run, run at a terminal by
// run_as_root_prompt_test.ts: whether it runs as root must be found out without a permission
// prompt (reading /proc/self/status or Deno.uid() would ask), and then the helper applies.

import { execute } from "../../../process/mod.ts";

const result = await execute(["echo", "command"], {
  runAsRoot: true,
  rootHelper: `sh -c 'echo helper; exec "$@"' helper`,
});
// deno-lint-ignore no-console
console.log(`done ${result.stdout.trim().split("\n").join(",")}`);
