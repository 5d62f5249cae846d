// Every way a launcher worker can end is noticed at once, logged with its cause and exit code,
// and the worker is respawned; a ThreadGroup TaskRef thread whose Worker ends settles.

import assert from "node:assert/strict";
import { initBackend, ProcessLauncher, resetBackend, ThreadGroup } from "@fjord/fjord";
import { captureLog, type LogRecord, waitFor } from "../_util.ts";
import { stopLauncher } from "./_stop_launcher.ts";
import type { EndMode } from "./_fixtures/ending_service.ts";

const SERVICE = new URL("./_fixtures/ending_service.ts", import.meta.url).href;
const TASKS = new URL("./_fixtures/ending_tasks.ts", import.meta.url).href;

interface Case {
  mode: EndMode;
  isolations: readonly ("worker" | "process")[];
  reason: RegExp;
  /** Whether ended-at is taken right before the end (OOM takes a while to get there). */
  timed: boolean;
}

const BOTH = ["worker", "process"] as const;
const CASES: Case[] = [
  {
    mode: "start-throws",
    isolations: BOTH,
    reason: /exited with status 2 \(start\(\) failed: Error: start failed on purpose\)/,
    timed: true,
  },
  {
    mode: "throw",
    isolations: BOTH,
    reason: /threw Error: ended by an uncaught error/,
    timed: true,
  },
  {
    mode: "rejection",
    isolations: BOTH,
    reason: /unhandled rejection: RangeError: ended by a rejection/,
    timed: true,
  },
  { mode: "exit", isolations: BOTH, reason: /exited with status 4 \(Deno\.exit\(4\)/, timed: true },
  {
    mode: "exit-0",
    isolations: BOTH,
    reason: /exited with status 0 \(Deno\.exit\(0\)/,
    timed: true,
  },
  { mode: "close", isolations: ["worker"], reason: /called self\.close\(\)/, timed: true },
  { mode: "sigkill", isolations: ["process"], reason: /killed by signal SIGKILL/, timed: true },
  { mode: "oom", isolations: ["process"], reason: /SIGTRAP \(out of memory/, timed: false },
];

const FLAGS = ["--allow-read", "--allow-write", "--allow-env"];

for (const c of CASES) {
  for (const isolation of c.isolations) {
    Deno.test(`ProcessLauncher notices a worker that ends by ${c.mode} at once and respawns it (${isolation})`, async () => {
      resetBackend();
      const dir = await Deno.makeTempDir({ prefix: "fjord-end-" });
      using log = captureLog();
      const launcher = new ProcessLauncher(undefined, {
        isolation,
        ...(c.mode === "oom" ? { denoArgs: [...FLAGS, "--v8-flags=--max-old-space-size=32"] } : {}),
      });
      try {
        launcher.launchService(
          { module: SERVICE, export: "ending", args: [c.mode, dir] },
          { workers: 1 },
        );
        const line = (): LogRecord | undefined => log.records.find((r) => c.reason.test(r.message));
        await waitFor(() => line() !== undefined, `a log line matching ${c.reason}`, 60_000);
        const starts = (): number =>
          Deno.readTextFileSync(`${dir}/events.log`).split("\n").filter((l) => l !== "").length;
        await waitFor(() => starts() >= 2, "the respawned worker's start", 60_000);
        if (c.timed) {
          const endedAt = Number(Deno.readTextFileSync(`${dir}/ended-at`));
          // Milliseconds in practice; the bound is generous for a loaded machine.
          const ms = line()!.at - endedAt;
          assert.ok(ms < 2_000, `noticed after ${ms} ms`);
        }
        assert.equal(launcher.workers[0]?.restarts, 1);
      } finally {
        await stopLauncher(launcher, dir);
      }
    });
  }
}

const THREAD_ENDS = [
  { task: "exitWorker", args: [5], reason: /exited with status 5 \(Deno\.exit\(5\)/ },
  { task: "closeWorker", args: [], reason: /called self\.close\(\)/ },
  { task: "throwLater", args: [], reason: /threw TypeError: thrown in the thread's Worker/ },
  { task: "rejectLater", args: [], reason: /unhandled rejection: RangeError: rejected/ },
];

for (const t of THREAD_ENDS) {
  Deno.test(`A ThreadGroup TaskRef thread settles when its Worker ends by ${t.task}`, async () => {
    resetBackend();
    initBackend("threading");
    using log = captureLog();
    try {
      const tg = new ThreadGroup();
      const thread = tg.addThread({ module: TASKS, export: t.task }, ...t.args);
      await assert.rejects(thread.wait(), (err: Error) => {
        assert.match(err.message, t.reason);
        return true;
      });
      assert.equal(tg.threads.length, 0);
      assert.ok(log.lines.some((l) => /Thread \d+ failed/.test(l)));
    } finally {
      resetBackend();
    }
  });
}
