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
