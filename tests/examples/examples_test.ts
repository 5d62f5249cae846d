import assert from "node:assert/strict";
import { waitFor } from "../service/_launcher_helpers.ts";

const HTTP = new URL("../../examples/http_service.ts", import.meta.url).pathname;
const PERIODIC = new URL("../../examples/periodic_service.ts", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;

// The test itself has no --allow-net: a small client process with its own flags fetches.
async function fetchVia(port: number): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `--allow-net=127.0.0.1:${port}`,
      `const r = await fetch("http://127.0.0.1:${port}/"); console.log(await r.text());`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim();
}

async function runHttp(backend: "threading" | "cooperative"): Promise<void> {
  for (let attempt = 0;; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--unstable-net",
        `--allow-net=127.0.0.1:${port}`,
        "--allow-read=.",
        "--allow-env",
        ...(backend === "cooperative" ? ["--allow-run"] : []),
        HTTP,
      ],
      cwd: ROOT,
      env: { FJORD_DEMO_PORT: String(port), FJORD_BACKEND: backend },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let output = "";
    const dec = new TextDecoder();
    const pump = (async () => {
      for await (const c of child.stdout) output += dec.decode(c);
    })();
    const errPump = (async () => {
      for await (const c of child.stderr) output += dec.decode(c);
    })();
    try {
      await waitFor(
        () => (output.match(/ on http:/g) ?? []).length === 2 || /AddrInUse/.test(output),
        "2 listening workers",
      );
      if (/AddrInUse/.test(output) && attempt < 3) continue;
      const answers = new Set<string>();
      for (let i = 0; i < 3; i++) answers.add(await fetchVia(port));
      for (const a of answers) assert.match(a, /^worker [01] pid \d+$/);
      child.kill("SIGTERM");
      const status = await child.status;
      assert.equal(status.code, 0, output);
      return;
    } finally {
      try {
        child.kill("SIGKILL");
      } catch {
        // Exited.
      }
      await child.status;
      await pump;
      await errPump;
    }
  }
}

Deno.test("examples/http_service.ts answers with a worker id and pid, SIGTERM exits 0", async () => {
  await Promise.all([runHttp("threading"), runHttp("cooperative")]);
});

Deno.test("examples/periodic_service.ts runs its timer and periodic tasks", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-env", PERIODIC],
    env: { FJORD_DEMO_TICKS: "3" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.match(text, /heartbeat 3/);
  assert.match(text, /purging the cache/);
});
