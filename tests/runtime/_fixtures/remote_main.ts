// deno-lint-ignore-file no-console
// Run as `deno run http://127.0.0.1:<port>/tests/runtime/_fixtures/remote_main.ts <port>`: fjord
// itself is loaded over http, as from a published package, so every isolate entry URL it
// computes is an http URL. Starts a launcher worker in each isolation and runs a task in each
// pool; prints what happened.

import {
  initBackend,
  ProcessLauncher,
  ProcessPoolExecutor,
  ThreadGroup,
  WorkerPoolExecutor,
} from "../../../mod.ts";

// Threading, so that the ThreadGroup below runs its TaskRef in a Worker; a launcher's isolation
// and a pool's kind are given explicitly and do not depend on it.
initBackend("threading");
const port = Deno.args[0];
const flags = [`--allow-import=127.0.0.1:${port}`, "--allow-read", "--allow-env"];
const service = new URL("./remote_service.ts", import.meta.url);

for (const isolation of ["worker", "process"] as const) {
  const launcher = new ProcessLauncher(undefined, { isolation, denoArgs: flags });
  launcher.launchService({ module: service, export: "quick" }, { workers: 1 });
  const waiting = launcher.wait();
  while (launcher.workers[0]?.state !== "running") await new Promise((r) => setTimeout(r, 10));
  await launcher.stop();
  console.log(`launcher ${isolation} ${await waiting}`);
}
await using workers = new WorkerPoolExecutor({ maxWorkers: 1 });
console.log(`worker pool ${await workers.submit({ module: service, export: "double" }, 21)}`);
await using processes = new ProcessPoolExecutor({ maxWorkers: 1, denoArgs: flags });
console.log(`process pool ${await processes.submit({ module: service, export: "double" }, 4)}`);
const tg = new ThreadGroup();
console.log(`thread ${await tg.addThread({ module: service, export: "double" }, 5).wait()}`);
