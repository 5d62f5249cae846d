// execute() from a program given only --allow-run, run at a terminal by terminal_prompt_test.ts:
// the optional looks it makes must not stop it at a permission prompt.
// - runAsRoot: whether it runs as root (/proc/self/status, or Deno.uid()); it cannot tell, so the
//   root helper applies;
// - a wrapper (setsid for `timeout`) with an `env` that has no PATH: fjord's own PATH, which it
//   cannot read, so the wrapper's execvp() looks the program up.

import { execute } from "../../../process/mod.ts";

const root = await execute(["echo", "command"], {
  runAsRoot: true,
  rootHelper: `sh -c 'echo helper; exec "$@"' helper`,
});
const wrapped = await execute(["echo", "wrapped"], { env: { A: "1" }, timeout: 10_000 });
// deno-lint-ignore no-console
console.log(
  `done ${root.stdout.trim().split("\n").join(",")} ${wrapped.stdout.trim()}`,
);
