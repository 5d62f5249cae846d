import assert from "node:assert/strict";
import { startIsolate } from "../../runtime/_isolate_host.ts";

Deno.test("A process isolate is gone at its exit, before its output (held open by a grandchild) drains", async () => {
  const pids: number[] = [];
  const isolate = startIsolate<never, { pid: number }>({
    isolation: "process",
    entry: new URL("./_fixtures/isolate_grandchild.ts", import.meta.url),
    data: undefined,
    denoArgs: ["--allow-run=sleep"],
    onMessage: (msg) => pids.push(msg.pid),
  });
  try {
    let exited = false;
    void isolate.exited.then(() => exited = true);
    await isolate.gone;
    assert.equal(exited, false, "exited settled before gone");
    const exit = await isolate.exited;
    assert.equal(exit.cause, "return");
    assert.equal(exit.code, 3);
    assert.equal(pids.length, 1);
  } finally {
    for (const pid of pids) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }
});

Deno.test("A Worker isolate is gone before it is terminated and its end reported", async () => {
  // A supervisor starts the replacement from `gone`: terminate() must not come first.
  const isolate = startIsolate<never, never>({
    isolation: "worker",
    entry: new URL("./_fixtures/isolate_throws.ts", import.meta.url),
    data: undefined,
    onMessage: () => {},
  });
  let exited = false;
  void isolate.exited.then(() => exited = true);
  await isolate.gone;
  assert.equal(exited, false, "exited settled before gone");
  assert.equal(isolate.alive, false);
  const exit = await isolate.exited;
  assert.equal(exit.cause, "rejection");
  assert.equal(exit.error?.message, "thrown on purpose");
});
