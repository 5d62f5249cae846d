// A SIGTERM that arrives after launchService() but before wait() stops the workers gracefully
// (exit 0) instead of killing the launcher with the default action and leaving workers behind.

import assert from "node:assert/strict";

const SCRIPT = new URL("./_fixtures/sigterm_at_start.ts", import.meta.url).pathname;

for (const isolation of ["worker", "process"] as const) {
  Deno.test(`ProcessLauncher stops gracefully on a SIGTERM that arrives before wait() (${isolation})`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "fjord-sigstart-" });
    try {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-read",
          "--allow-write",
          "--allow-env",
          "--allow-run",
          SCRIPT,
          isolation,
          dir,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const log = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
      assert.equal(out.signal, null, log);
      assert.equal(out.code, 0, log);
      assert.match(log, /Caught SIGTERM, stopping children/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
