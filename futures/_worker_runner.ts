// WorkerPoolExecutor's workers: module Web Workers started with spawnFjordWorker().

import { spawnFjordWorker, terminateFjordWorker } from "../runtime/_fjord_worker.ts";
import type { FromWorker } from "./_protocol.ts";
import { createRemoteRunner } from "./_remote_runner.ts";
import { cpuCount, type Runner, runnerFactories, type RunnerHost } from "./_runner.ts";

const ENTRY = new URL("./_pool_worker.ts", import.meta.url);

export function createWorkerRunner(host: RunnerHost, max: number, depth: number): Runner {
  return createRemoteRunner(host, max, depth, "worker", (name, events) => {
    const worker = spawnFjordWorker(ENTRY, { name: `fjord pool ${name}` });
    worker.onmessage = (e: MessageEvent<FromWorker>) => events.message(e.data);
    worker.onerror = (e: ErrorEvent) => {
      // Without preventDefault a Worker's uncaught error would also kill this isolate.
      e.preventDefault();
      events.exit(`an uncaught error (${e.message})`);
    };
    worker.onmessageerror = () => events.exit("a message from it could not be deserialized");
    return {
      post: (msg, transfer) => worker.postMessage(msg, transfer),
      terminate: () => {
        // Also releases cross-Worker locks a crashed or stopped pool Worker still held.
        terminateFjordWorker(worker);
        return Promise.resolve();
      },
    };
  });
}

runnerFactories.worker = (host, o) =>
  createWorkerRunner(host, o.maxWorkers ?? cpuCount(), o.tasksPerWorker);
