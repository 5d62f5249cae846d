// The pools' workers: WorkerPoolExecutor's Web Workers and ProcessPoolExecutor's child processes,
// both started by the isolate host on the pool entry module. What differs is policy: a child gets
// the permissions this process holds (or `denoArgs`), may be unref'd while idle, and is given
// time to finish its running tasks when the pool shuts down; a Web Worker is terminated at once.

import { V8_CODEC } from "./_v8_codec.ts";
// The cross-Worker lock tables, shared with every Worker started here.
import "../lock/_spawn.ts";
import { startIsolate } from "../runtime/_isolate_host.ts";
import { inheritedPermissionFlags } from "../runtime/_permitted.ts";
import type { Clock } from "../runtime/clock.ts";
import type { ResolvedRestartPolicy } from "../runtime/restart_policy.ts";
import type { FromWorker, ToWorker } from "./_protocol.ts";
import { type Channel, type ChannelEvents, createRemoteRunner } from "./_remote_runner.ts";
import { cpuCount, type Runner, runnerFactories, type RunnerHost } from "./_runner.ts";

const ENTRY = new URL("./_pool_entry.ts", import.meta.url);
const KILL_AFTER_MS = 5000;
// How much of a child's stderr is kept for BrokenExecutorError.stderr.
const STDERR_TAIL_BYTES = 4096;

/** A pool runner whose workers are isolates of the given kind. */
export function createIsolateRunner(
  host: RunnerHost,
  isolation: "worker" | "process",
  max: number,
  depth: number,
  denoArgs: string[] | undefined,
  restart: ResolvedRestartPolicy,
  clock: Clock,
): Runner {
  const flags = isolation === "process"
    ? ["--no-prompt", "--no-lock", "--quiet", ...(denoArgs ?? inheritedPermissionFlags())]
    : [];
  const spawn = (name: string, events: ChannelEvents): Channel => {
    const isolate = startIsolate<ToWorker, FromWorker>({
      isolation,
      entry: ENTRY,
      data: undefined,
      name: `fjord pool ${name}`,
      denoArgs: flags,
      codec: V8_CODEC, // tasks take and return any structured-cloneable value
      onMessage: (msg) => events.message(msg),
      stderrTail: isolation === "process" ? STDERR_TAIL_BYTES : 0,
      exitWithParent: true,
    });
    void isolate.exited.then((exit) => {
      events.exit(`it ${exit.reason}`, {
        running: Array.isArray(exit.detail) ? exit.detail as number[] : undefined,
        exitCode: exit.code,
        signal: exit.signal,
        error: exit.error,
        stderr: isolation === "process" ? isolate.stderrTail() : undefined,
      });
    });
    return {
      post: (msg, transfer) => isolate.post(msg, transfer),
      setActive: (active) => isolate.setActive(active),
      kill: () => isolate.kill(),
      async terminate(): Promise<void> {
        if (isolation === "worker") {
          // Also releases cross-Worker locks a crashed or stopped pool Worker still held.
          isolate.kill();
        } else {
          // Shutting down is work too: keep this process alive until the child has gone, and
          // let it finish its running tasks first.
          isolate.setActive(true);
          isolate.closeInput();
          const timer = setTimeout(() => isolate.kill(), KILL_AFTER_MS);
          await isolate.exited;
          clearTimeout(timer);
          return;
        }
        await isolate.exited;
      },
    };
  };
  return createRemoteRunner(host, max, depth, isolation, spawn, restart, clock);
}

runnerFactories.worker = (host, o) =>
  createIsolateRunner(
    host,
    "worker",
    o.maxWorkers ?? cpuCount(),
    o.tasksPerWorker,
    undefined,
    o.restart,
    o.clock,
  );
runnerFactories.process = (host, o) =>
  createIsolateRunner(
    host,
    "process",
    o.maxWorkers ?? cpuCount(),
    o.tasksPerWorker,
    o.denoArgs,
    o.restart,
    o.clock,
  );
