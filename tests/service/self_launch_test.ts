// A module that launches itself with several workers (the README's api.ts) starts them and obeys
// SIGTERM; so does one that is still evaluating because it launches itself from its top level.

import assert from "node:assert/strict";
import { waitFor } from "../_util.ts";

const FIXTURES = new URL("./_fixtures/", import.meta.url);
const FLAGS = ["--allow-read", "--allow-write", "--allow-env", "--allow-run"];

async function runSelfLaunching(
  script: string,
  isolation: "worker" | "process",
  extra: string[] = [],
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fjord-self-" });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...FLAGS, new URL(script, FIXTURES).pathname, isolation, dir, ...extra],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  try {
    const starts = (): number => {
      try {
        return Deno.readTextFileSync(`${dir}/events.log`).split("\n").filter(Boolean).length;
      } catch {
        return 0;
      }
    };
    await waitFor(() => starts() === 2, "both workers to start", 30_000);
    child.kill("SIGTERM");
    const status = await child.status;
    assert.equal(status.code, 0);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await child.stderr.cancel();
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
}

for (const isolation of ["worker", "process"] as const) {
  Deno.test(`A main module that launches itself with 2 workers starts them and obeys SIGTERM (${isolation})`, async () => {
    await runSelfLaunching("self_launching.ts", isolation);
  });

  Deno.test(`A module launching itself while still being imported starts its workers and obeys SIGTERM (${isolation})`, async () => {
    await runSelfLaunching("self_launching_main.ts", isolation, ["lib"]);
  });
}
