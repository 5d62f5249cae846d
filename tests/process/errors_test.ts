import assert from "node:assert/strict";
import {
  NoRootWrapSpecifiedError,
  ProcessExecutionError,
  ProcessTimeoutError,
} from "../../process/mod.ts";

Deno.test("ProcessExecutionError has oslo's five-line message and its facts as fields", () => {
  const err = new ProcessExecutionError({
    description: "Boom",
    cmd: "sh -c x",
    exitCode: -9,
    signal: "SIGKILL",
    stdout: "it's\n",
    stderr: "a\tb",
  });
  assert.equal(
    err.message,
    `Boom\nCommand: sh -c x\nExit code: -9\nStdout: "it's\\n"\nStderr: 'a\\tb'`,
  );
  assert.equal(err.name, "ProcessExecutionError");
  assert.equal(err.exitCode, -9);
  assert.equal(err.signal, "SIGKILL");
  assert.equal(err.stdout, "it's\n");
  assert.equal(err.stderr, "a\tb");
  assert.equal(err.cmd, "sh -c x");
  assert.equal(err.description, "Boom");
  assert.ok(err instanceof Error);
});

Deno.test("ProcessExecutionError defaults: oslo's description, '-' for no exit code", () => {
  const cause = new Error("os");
  const err = new ProcessExecutionError({ cmd: "nope" }, { cause });
  assert.equal(
    err.message,
    "Unexpected error while running command.\nCommand: nope\nExit code: -\nStdout: ''\nStderr: ''",
  );
  assert.equal(err.exitCode, undefined);
  assert.equal(err.description, undefined);
  assert.equal(err.cause, cause);
});

Deno.test("ProcessTimeoutError carries the command and the timeout", () => {
  const err = new ProcessTimeoutError("sleep 9", 250);
  assert.equal(err.name, "ProcessTimeoutError");
  assert.equal(err.cmd, "sleep 9");
  assert.equal(err.timeout, 250);
  assert.match(err.message, /250 ms: sleep 9$/);
});

Deno.test("NoRootWrapSpecifiedError has oslo's message", () => {
  const err = new NoRootWrapSpecifiedError();
  assert.equal(err.name, "NoRootWrapSpecifiedError");
  assert.equal(err.message, "Command requested root, but did not specify a root helper.");
});
