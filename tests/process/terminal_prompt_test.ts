// execute()'s optional looks (is this root? where is the program?) read /proc/self/status,
// Deno.uid() and PATH only where the program may: at a terminal, reading them without the
// permission shows Deno's prompt and stops the program.

import assert from "node:assert/strict";
import { atTerminal } from "../_util.ts";

const FIXTURE = new URL("./_fixtures/terminal_execute.ts", import.meta.url).pathname;

Deno.test("execute() at a terminal with only --allow-run asks for nothing: runAsRoot applies the helper, a wrapper finds the program", async () => {
  const { code, output } = await atTerminal([Deno.execPath(), "run", "--allow-run", FIXTURE]);
  assert.doesNotMatch(output, /Deno requests/);
  assert.equal(code, 0, output);
  assert.match(output, /done helper,command wrapped/);
});
