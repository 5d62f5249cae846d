// Isolate entry URLs (launcher, pool and thread entries) resolve both from a local checkout (every
// other test) and from a package loaded over http, as a published one is: this test serves the
// checkout on loopback and runs fjord from there.

import assert from "node:assert/strict";

const SERVER = new URL("./_fixtures/serve_checkout.ts", import.meta.url).pathname;

Deno.test("Launcher, pool and thread isolates start when fjord is loaded over http (as a published package)", async () => {
  // The server runs in its own process: the test itself has no net permission.
  const server = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-net=127.0.0.1", "--allow-read", SERVER],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
  try {
    const first = await reader.read();
    const port = Number(first.value?.trim());
    assert.ok(port > 0, `server said ${first.value}`);
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-lock",
        "--quiet",
        `--allow-import=127.0.0.1:${port}`,
        "--allow-read",
        "--allow-env",
        "--allow-run",
        `http://127.0.0.1:${port}/tests/runtime/_fixtures/remote_main.ts`,
        String(port),
      ],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(120_000),
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.match(stdout, /started 0 true/);
    assert.match(stdout, /started 0 false/);
    assert.match(stdout, /launcher worker 0/);
    assert.match(stdout, /launcher process 0/);
    assert.match(stdout, /worker pool 42/);
    assert.match(stdout, /process pool 8/);
    assert.match(stdout, /thread 10/);
  } finally {
    server.kill("SIGKILL");
    await reader.cancel();
    await server.status;
  }
});
