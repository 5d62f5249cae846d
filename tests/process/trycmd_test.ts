import assert from "node:assert/strict";
import { ProcessTimeoutError, trycmd } from "../../process/mod.ts";

Deno.test("trycmd() resolves the output of a successful command", async () => {
  assert.deepEqual(await trycmd(["sh", "-c", "echo out; echo warn >&2"]), {
    stdout: "out\n",
    stderr: "warn\n",
  });
});

Deno.test("trycmd() turns ProcessExecutionError into ('', message)", async () => {
  const { stdout, stderr } = await trycmd("exit 4", { shell: true });
  assert.equal(stdout, "");
  assert.equal(
    stderr,
    "Unexpected error while running command.\nCommand: exit 4\nExit code: 4\nStdout: ''\nStderr: ''",
  );
});

Deno.test("trycmd() discardWarnings clears stderr of a successful command", async () => {
  const result = await trycmd(["sh", "-c", "echo warn >&2"], { discardWarnings: true });
  assert.deepEqual(result, { stdout: "", stderr: "" });
});

Deno.test("trycmd() still rejects errors other than ProcessExecutionError", async () => {
  await assert.rejects(trycmd(["sleep", "30"], { timeout: 100 }), ProcessTimeoutError);
});

Deno.test("trycmd() refuses binary: true and bad arguments at the call", () => {
  assert.throws(() => trycmd(["true"], { binary: true }), TypeError);
  assert.throws(() => trycmd([]), TypeError);
});
