// runAsRoot decides whether fjord runs as root from /proc/self/status or Deno.uid(): neither may
// show Deno's permission prompt to a program that was not given --allow-read or --allow-sys.

import assert from "node:assert/strict";
import { atTerminal } from "../_util.ts";

const FIXTURE = new URL("./_fixtures/run_as_root_program.ts", import.meta.url).pathname;

Deno.test("execute({ runAsRoot }) at a terminal with only --allow-run asks for nothing and applies the root helper", async () => {
  const { code, output } = await atTerminal([Deno.execPath(), "run", "--allow-run", FIXTURE]);
  assert.doesNotMatch(output, /Deno requests/);
  assert.equal(code, 0, output);
  assert.match(output, /done helper,command/);
});
