// setLogger() in the parent reaches the workers: their records arrive whole at the launcher's
// logger, each with its origin (time, worker id, pid or isolate id, service name).

import assert from "node:assert/strict";
import {
  getLogger,
  isLogOrigin,
  type LogOrigin,
  ProcessLauncher,
  resetBackend,
  setLogger,
} from "@fjord/fjord";
import { waitFor } from "../_util.ts";
import { stopLauncher } from "./_stop_launcher.ts";

const SERVICE = new URL("./_fixtures/logging_service.ts", import.meta.url).href;

interface Rec {
  level: string;
  message: string;
  origin: LogOrigin | undefined;
}

for (const isolation of ["worker", "process"] as const) {
  Deno.test(`Worker log records reach the parent's logger with their origin (${isolation})`, async () => {
    resetBackend();
    const previous = getLogger();
    const recs: Rec[] = [];
    const keep = (level: string) => (message: string, ...details: unknown[]): void => {
      recs.push({ level, message, origin: details.find(isLogOrigin) });
    };
    setLogger({
      debug: keep("debug"),
      info: keep("info"),
      warning: keep("warning"),
      error: keep("error"),
    });
    const launcher = new ProcessLauncher(undefined, { isolation });
    try {
      launcher.launchService({ module: SERVICE, export: "logging" }, { workers: 2 });
      const fromWorkers = (): Rec[] => recs.filter((r) => r.origin !== undefined);
      await waitFor(() => fromWorkers().length === 4, "4 records from the workers");
      const hello = fromWorkers().filter((r) => r.message.startsWith("hello from worker"));
      assert.deepEqual(hello.map((r) => r.origin!.workerId).sort(), [0, 1]);
      for (const r of hello) {
        assert.equal(r.level, "info");
        assert.match(
          r.message,
          new RegExp(`^hello from worker ${r.origin!.workerId} \\{ n: \\d \\}$`),
        );
        const o = r.origin!;
        assert.equal(o.service, "logging");
        assert.ok(!Number.isNaN(Date.parse(o.time)) && o.time.endsWith("Z"), o.time);
        if (isolation === "process") {
          assert.ok(o.pid !== undefined && o.pid !== Deno.pid);
          assert.equal(o.isolateId, undefined);
        } else {
          assert.equal(o.pid, undefined);
          assert.equal(typeof o.isolateId, "number");
        }
      }
      const warned = fromWorkers().filter((r) => r.message === "warned through warn()");
      assert.deepEqual(warned.map((r) => r.level), ["warning", "warning"]);
    } finally {
      setLogger(previous);
      await stopLauncher(launcher);
    }
  });
}
