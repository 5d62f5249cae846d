// execute() refuses what the OS cannot pass on (env names with `=`, empty names, NUL anywhere)
// before spawning, explains a command line given as one program name, and logs at `loglevel`.

import assert from "node:assert/strict";
import { execute, type ExecuteOptions, ProcessExecutionError } from "../../process/mod.ts";
import { withLogLines } from "./_helpers.ts";

/** Runs execute() with an onExecute spy; returns the thrown error and whether it spawned. */
async function refusal(
  cmd: string | string[],
  options: ExecuteOptions,
): Promise<{ error: unknown; spawned: boolean }> {
  let spawned = false;
  try {
    await execute(cmd, { ...options, onExecute: () => (spawned = true) });
  } catch (error) {
    return { error, spawned };
  }
  return assert.fail("expected execute() to throw");
}

Deno.test("execute() rejects env names that are empty or contain '=' or NUL before spawning", async () => {
  const shown: Record<string, string> = {
    "": "an empty string",
    "A=B": "string A=B",
    "=": "string =",
    "A\0B": 'string "A\\u0000B"',
    "PATH=": "string PATH=",
  };
  for (const [name, described] of Object.entries(shown)) {
    const { error, spawned } = await refusal(["true"], { env: { [name]: "1" } });
    assert.ok(error instanceof TypeError, `${JSON.stringify(name)}: ${String(error)}`);
    assert.match(error.message, /'env' must be keyed by names that are non-empty and contain no/);
    assert.ok(error.message.endsWith(`: current value is ${described}`), error.message);
    assert.equal(spawned, false);
  }
});

Deno.test("execute() rejects NUL in env values, argv, cwd and rootHelper before spawning", async () => {
  const cases: [string | string[], ExecuteOptions, RegExp][] = [
    [["true"], { env: { A: "x\0y" } }, /'env\.A' must be free of NUL/],
    [["echo", "a\0b"], {}, /'cmd' must be free of NUL/],
    ["ec\0ho", {}, /'cmd' must be free of NUL/],
    ["echo\0", { shell: true }, /'cmd' must be free of NUL/],
    [["true"], { cwd: "/tmp\0" }, /'cwd' must be free of NUL/],
    [["true"], { runAsRoot: true, rootHelper: "sudo\0" }, /'rootHelper' must be free of NUL/],
  ];
  for (const [cmd, options, message] of cases) {
    const { error, spawned } = await refusal(cmd, options);
    assert.ok(error instanceof TypeError, String(error));
    assert.match(error.message, message);
    assert.equal(spawned, false);
  }
});

Deno.test("execute() rejects an env that is an array or a Map before spawning", async () => {
  const cases: [unknown, string][] = [
    [["A=1"], "an instance of Array"],
    [new Map([["A", "1"]]), "an instance of Map"],
    [new (class Vars {})(), "an instance of Vars"],
  ];
  for (const [env, shown] of cases) {
    const { error, spawned } = await refusal(["true"], { env: env as Record<string, string> });
    assert.ok(error instanceof TypeError, String(error));
    assert.equal(
      error.message,
      `Cannot execute as 'env' must be a plain object of names to values: current value is ${shown}`,
    );
    assert.equal(spawned, false);
  }
  // Without a prototype is still a plain mapping.
  const bare = Object.assign(Object.create(null), { A: "1" });
  assert.equal((await execute(["/usr/bin/env"], { env: bare })).stdout, "A=1\n");
});

Deno.test("execute() rejects an empty cwd before spawning instead of running in its own", async () => {
  for (const options of [{ cwd: "" }, { cwd: "", timeout: 30_000 }]) {
    const { error, spawned } = await refusal(["pwd"], options);
    assert.ok(error instanceof TypeError, String(error));
    assert.equal(
      error.message,
      "Cannot execute as 'cwd' must be a non-empty path: current value is an empty string",
    );
    assert.equal(spawned, false);
  }
});

Deno.test('execute() rejects a flag that is not a boolean before spawning: shell: "false" no longer runs through /bin/sh', async () => {
  for (const name of ["shell", "binary", "delayOnRetry", "runAsRoot"]) {
    const { error, spawned } = await refusal(["true"], { [name]: "false" } as ExecuteOptions);
    assert.ok(error instanceof TypeError, `${name}: ${error}`);
    assert.equal(
      error.message,
      `Cannot execute as '${name}' must be a boolean: current value is string false`,
    );
    assert.equal(spawned, false);
  }
});

Deno.test("execute() still passes an env that is valid, whole and alone", async () => {
  const { stdout } = await execute(["/usr/bin/env"], { env: { A: "x=y", B: "" } });
  assert.deepEqual(stdout.trim().split("\n").sort(), ["A=x=y", "B="]);
});

Deno.test("execute() quotes at most ~200 characters of a hostile value in its TypeError", async () => {
  const huge = "=".repeat(1_000_000);
  const { error } = await refusal(["true"], { env: { [huge]: "1" } });
  assert.ok(error instanceof TypeError);
  assert.ok(error.message.length < 500, String(error.message.length));
});

Deno.test("execute('ls -la') without shell says to pass separate strings or set shell: true", async () => {
  for (const options of [{}, { timeout: 10_000 }] as ExecuteOptions[]) {
    let error: unknown;
    try {
      await execute("ls -la", options);
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof ProcessExecutionError, String(error));
    assert.equal(error.exitCode, undefined);
    assert.ok(error.cause instanceof Deno.errors.NotFound, String(error.cause));
    assert.match(error.message, /pass arguments as separate strings, or set shell: true/);
    assert.equal(error.cmd, "ls -la"); // the string was not split
  }
  // A missing program without a space gets no such hint.
  await assert.rejects(execute("/nonexistent/fjord-prog"), (e: unknown) => {
    assert.ok(e instanceof ProcessExecutionError);
    assert.doesNotMatch(e.message, /separate strings/);
    return true;
  });
  // With shell: true the same string runs.
  const { stdout } = await execute("echo -n a b", { shell: true });
  assert.equal(stdout, "a b");
});

Deno.test("execute() logs every line at loglevel and rejects an unknown level", async () => {
  const lines = await withLogLines(async (lines) => {
    await execute(["true"], { loglevel: "info" });
    return [...lines];
  });
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^info: Running cmd \(subprocess\): true$/);
  assert.match(lines[1]!, /^info: CMD "true" returned: 0 in \d+\.\d{3}s$/);
  const quiet = await withLogLines(async (lines) => {
    await execute(["true"]);
    return [...lines];
  });
  assert.ok(quiet.every((l) => l.startsWith("debug: ")));
  assert.throws(() => execute(["true"], { loglevel: "WARN" as never }), RangeError);
});
