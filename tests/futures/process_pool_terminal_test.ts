// A process pool's optional look for setpriv is made only with read permission for it: at a
// terminal, Deno.statSync() without it shows Deno's prompt and stops the program.

import assert from "node:assert/strict";
import { atTerminal } from "../_util.ts";

const FIXTURE = new URL("./_fixtures/terminal_pool.ts", import.meta.url).pathname;

Deno.test("ProcessPoolExecutor at a terminal with only --allow-run asks for nothing and runs its task", async () => {
  const { code, output } = await atTerminal([Deno.execPath(), "run", "--allow-run", FIXTURE]);
  assert.doesNotMatch(output, /Deno requests/);
  assert.equal(code, 0, output);
  assert.match(output, /done 42/);
});
