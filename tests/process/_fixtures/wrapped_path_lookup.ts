// deno-lint-ignore-file no-console -- the test reads this fixture's verdict from stdout
// Run with `fjord-on-path` in a PATH directory outside /bin:/usr/bin: an `env` without PATH must
// not hide it from execute(), whichever wrapper (setsid, detached, prlimit, ulimit) runs it.
import { execute, type ExecuteOptions } from "../../../process/mod.ts";
import { setPrlimitAvailable } from "../../../process/_prlimit.ts";
import { setSetsidAvailable } from "../../../process/_setsid.ts";

const wrappers: [string, () => void, ExecuteOptions][] = [
  ["plain", () => {}, {}],
  ["setsid", () => {}, { timeout: 30_000 }],
  ["detached", () => setSetsidAvailable(false), { timeout: 30_000 }],
  ["prlimit", () => {}, { prlimit: { numberFiles: 64 } }],
  ["ulimit", () => setPrlimitAvailable(false), { prlimit: { numberFiles: 64 } }],
];
const results: Record<string, string> = {};
for (const [name, setup, options] of wrappers) {
  setup();
  try {
    results[name] = (await execute(["fjord-on-path"], { ...options, env: { A: "1" } })).stdout;
  } catch (err) {
    results[name] = String(err);
  } finally {
    setSetsidAvailable(undefined);
    setPrlimitAvailable(undefined);
  }
}
console.log(JSON.stringify(results));
