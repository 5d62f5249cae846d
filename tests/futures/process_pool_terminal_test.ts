// A process pool's optional steps (its look for setpriv, the orphan reaper's /bin/sh) are taken
// only with the permission they need: at a terminal, a call without it shows Deno's prompt and
// stops the program.

import assert from "node:assert/strict";
import { atTerminal } from "../_util.ts";

const FIXTURE = new URL("./_fixtures/terminal_pool.ts", import.meta.url).pathname;

Deno.test("ProcessPoolExecutor at a terminal with only --allow-run asks for nothing and runs its task", async () => {
  const { code, output } = await atTerminal([Deno.execPath(), "run", "--allow-run", FIXTURE]);
  assert.doesNotMatch(output, /Deno requests/);
  assert.equal(code, 0, output);
  assert.match(output, /done 42/);
});

Deno.test("ProcessPoolExecutor at a terminal with --allow-run for deno only asks for nothing (no setpriv, no orphan reaper) and runs its task", async () => {
  const { code, output } = await atTerminal([
    Deno.execPath(),
    "run",
    `--allow-run=${Deno.execPath()}`,
    FIXTURE,
  ]);
  assert.doesNotMatch(output, /Deno requests/);
  assert.equal(code, 0, output);
  assert.match(output, /done 42/);
});

Deno.test("ProcessPoolExecutor with --allow-read and --allow-run for deno only does not run setpriv, which it may read but not run, and runs its task", async () => {
  const { code, output } = await atTerminal([
    Deno.execPath(),
    "run",
    "--allow-read",
    `--allow-run=${Deno.execPath()}`,
    FIXTURE,
  ]);
  // Before: BrokenExecutorError, "Requires run access to /usr/bin/setpriv".
  assert.doesNotMatch(output, /Deno requests|setpriv/);
  assert.equal(code, 0, output);
  assert.match(output, /done 42/);
});
