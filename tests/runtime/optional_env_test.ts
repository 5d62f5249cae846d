// Optional environment variables (FJORD_BACKEND, FJORD_LOG_LEVEL, FJORD_LOCK_PATH, ...) are read
// only where the program may read them: at a terminal, Deno.env.get() without --allow-env stops
// the program at an interactive permission prompt.

import assert from "node:assert/strict";
import { DEFAULT_BACKEND_TYPE } from "../../mod.ts";
import { optionalEnv } from "../../runtime/_optional_env.ts";
import { atTerminal } from "../_util.ts";

const FIXTURE = new URL("./_fixtures/no_env_program.ts", import.meta.url).pathname;

Deno.test("a program run at a terminal without --allow-env takes fjord's variables as unset and asks for nothing", async () => {
  const lockDir = await Deno.makeTempDir({ prefix: "fjord-env-" });
  try {
    const env = {
      FJORD_BACKEND: DEFAULT_BACKEND_TYPE === "threading" ? "cooperative" : "threading",
      FJORD_LOG_LEVEL: "debug",
      FJORD_LOCK_PATH: lockDir,
    };
    const { code, output } = await atTerminal([Deno.execPath(), "run", FIXTURE], env);
    assert.doesNotMatch(output, /requests env access/);
    assert.equal(code, 0, output);
    assert.match(output, new RegExp(`done backend=${DEFAULT_BACKEND_TYPE} lockPath=unset`));
    assert.doesNotMatch(output, /DEBUG/);
  } finally {
    await Deno.remove(lockDir, { recursive: true });
  }
});

Deno.test("with --allow-env the same program reads fjord's variables", async () => {
  const lockDir = await Deno.makeTempDir({ prefix: "fjord-env-" });
  try {
    const backend = DEFAULT_BACKEND_TYPE === "threading" ? "cooperative" : "threading";
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-env", `--allow-read=${lockDir}`, `--allow-write=${lockDir}`, FIXTURE],
      env: { FJORD_BACKEND: backend, FJORD_LOG_LEVEL: "debug", FJORD_LOCK_PATH: lockDir },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder();
    const output = text.decode(out.stdout) + text.decode(out.stderr);
    assert.equal(out.code, 0, output);
    assert.match(output, new RegExp(`done backend=${backend} lockPath=set`));
    assert.match(output, /DEBUG fjord: Acquired/);
  } finally {
    await Deno.remove(lockDir, { recursive: true });
  }
});

Deno.test("optionalEnv() reads the variable again at every call where it may be read, and an empty one as unset", () => {
  const name = "FJORD_OPTIONAL_ENV_TEST";
  try {
    assert.equal(optionalEnv(name), undefined);
    Deno.env.set(name, "one");
    assert.equal(optionalEnv(name), "one");
    Deno.env.set(name, "two");
    assert.equal(optionalEnv(name), "two");
    // Empty counts as unset, for every variable fjord reads.
    Deno.env.set(name, "");
    assert.equal(optionalEnv(name), undefined);
  } finally {
    Deno.env.delete(name);
  }
});
