// W2 CPU parallel speedup: 32 tasks of naive fib(30) on a 2-worker pool (same definition as
// ../shared/peers/python/w2_cpu_parallel.py and node/w2_cpu_parallel.mjs).
//
// Metrics: parallel wall seconds, serial wall seconds (the same 32 calls one after another on
// the main thread of this Deno process) and speedup = serial / parallel. Pool start-up is
// excluded (2 warm-up fib tasks first, which also warms each worker's JIT); the serial run is
// preceded by one warm-up call. Serial and parallel batches each repeat per repeat() (up to 5
// trials / 2 s) and medians are used. Correctness: every result === fib(30) === 832040.
//
// Floors in the same run, on 2 bare Web Workers started and warmed the same way: "static split"
// sends each Worker one message of 16 tasks (what this machine's 2 cores give at best), "per
// task" one message per task to whichever Worker is free (the messaging a pool cannot avoid).
// The same two shapes on 2 bare child processes (`deno run`, a line per message over their
// stdin/stdout) are the floor of the process pool's transport; the headline floor stays the
// Workers' static split.
//
// Run: deno run --allow-read --allow-run --allow-env bench/w2_cpu_parallel.ts

import { check, emit, fib, FIB_EXPECTED, FIB_N, log, median, repeat } from "./_common.ts";
import {
  AsyncPoolExecutor,
  type BaseExecutor,
  type Future,
  ProcessPoolExecutor,
  waitForAll,
  WorkerPoolExecutor,
} from "../futures/mod.ts";
import type { TaskRef } from "../runtime/task_ref.ts";

const TASKS = 32;
const FIB: TaskRef = { module: new URL("./_tasks/tasks.ts", import.meta.url), export: "fib" };

async function serial(): Promise<number> {
  check(fib(FIB_N) === FIB_EXPECTED, "serial warm-up");
  const walls = await repeat(() => {
    const t0 = performance.now();
    const res: number[] = [];
    for (let i = 0; i < TASKS; i++) res.push(fib(FIB_N));
    const dt = (performance.now() - t0) / 1000;
    check(res.every((r) => r === FIB_EXPECTED), "serial: wrong fib result");
    return dt;
  });
  log(`serial trials ${walls.map((w) => w.toFixed(3)).join(" ")} s`);
  return median(walls);
}

async function parallel(
  peer: string,
  make: () => BaseExecutor,
  task: TaskRef | ((n: number) => number),
  serialS: number,
): Promise<void> {
  const ex = make();
  try {
    const warm = await Promise.all([0, 1].map(() => ex.submit<number>(task, FIB_N)));
    check(warm.every((r) => r === FIB_EXPECTED), `${peer}: warm-up`);
    const walls = await repeat(async () => {
      const t0 = performance.now();
      const futs: Future<number>[] = [];
      for (let i = 0; i < TASKS; i++) futs.push(ex.submit<number>(task, FIB_N));
      await waitForAll(futs);
      const dt = (performance.now() - t0) / 1000;
      const res = await Promise.all(futs);
      check(res.every((r) => r === FIB_EXPECTED), `${peer}: wrong fib result`);
      return dt;
    });
    const dt = median(walls);
    log(
      `${peer}: parallel trials ${walls.map((w) => w.toFixed(3)).join(" ")} s; serial ${
        serialS.toFixed(3)
      } s; speedup ${(serialS / dt).toFixed(2)}`,
    );
    emit(peer, "W2", "parallel_wall_s", dt, "s");
    emit(peer, "W2", "serial_wall_s", serialS, "s");
    emit(peer, "W2", "speedup", serialS / dt, "x");
  } finally {
    await ex.shutdown({ wait: true });
  }
}

/** One bare Worker or child process of a floor: computes fib(FIB_N) `count` times. */
interface FloorWorker {
  run(count: number): Promise<number[]>;
  close(): Promise<void>;
}

function bareWorker(): FloorWorker {
  const w = new Worker(new URL("./_tasks/fib_worker.ts", import.meta.url), { type: "module" });
  return {
    run: (count) =>
      new Promise<number[]>((resolve, reject) => {
        w.onmessage = (e: MessageEvent<number[]>) => resolve(e.data);
        w.onerror = (e) => reject(new Error(`fib worker: ${e.message}`));
        w.postMessage({ n: FIB_N, count });
      }),
    close: () => Promise.resolve(w.terminate()),
  };
}

// A child `deno run` answering over its stdin/stdout, read into one reused buffer here too.
function bareProcess(): FloorWorker {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", new URL("./_tasks/fib_process.ts", import.meta.url).pathname],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const reader = child.stdout.getReader({ mode: "byob" });
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  let buffer = new ArrayBuffer(4096);
  return {
    async run(count): Promise<number[]> {
      await writer.write(enc.encode(`${FIB_N} ${count}\n`));
      let line = "";
      while (!line.endsWith("\n")) {
        const { done, value } = await reader.read(new Uint8Array(buffer));
        check(!done, "fib process: ended early");
        line += dec.decode(value);
        buffer = value!.buffer;
      }
      return line.trim().split(" ").map(Number);
    },
    async close(): Promise<void> {
      await writer.close();
      await reader.cancel();
      await child.status;
    },
  };
}

// Two bare Workers (and two bare child processes): what the machine gives without any pool.
async function floors(kind: string, make: () => FloorWorker, serialS: number): Promise<void> {
  const workers = [make(), make()];
  try {
    await Promise.all(workers.map((w) => w.run(1)));
    const shapes: [string, (w: FloorWorker, left: { n: number }) => Promise<number[]>][] = [
      [`${kind} x2 static split (floor)`, (w) => w.run(TASKS / 2)],
      [`${kind} x2 per task (floor)`, async (w, left) => {
        const res: number[] = [];
        while (left.n > 0) {
          left.n--;
          res.push(...await w.run(1));
        }
        return res;
      }],
    ];
    for (const [name, shape] of shapes) {
      const walls = await repeat(async () => {
        const left = { n: TASKS };
        const t0 = performance.now();
        const res = (await Promise.all(workers.map((w) => shape(w, left)))).flat();
        const dt = (performance.now() - t0) / 1000;
        check(res.length === TASKS && res.every((r) => r === FIB_EXPECTED), `${name}: results`);
        return dt;
      });
      const dt = median(walls);
      log(
        `${name}: parallel trials ${walls.map((w) => w.toFixed(3)).join(" ")} s; speedup ${
          (serialS / dt).toFixed(2)
        }`,
      );
      emit(name, "W2", "parallel_wall_s", dt, "s");
      emit(name, "W2", "speedup", serialS / dt, "x");
    }
  } finally {
    await Promise.all(workers.map((w) => w.close()));
  }
}

let s = await serial();
await floors("deno Worker", bareWorker, s);
s = await serial();
await floors("deno run", bareProcess, s);
s = await serial();
await parallel(
  "fjord.WorkerPoolExecutor(2)",
  () => new WorkerPoolExecutor({ maxWorkers: 2 }),
  FIB,
  s,
);
s = await serial();
await parallel(
  "fjord.ProcessPoolExecutor(2)",
  () => new ProcessPoolExecutor({ maxWorkers: 2, denoArgs: ["--allow-read"] }),
  FIB,
  s,
);
s = await serial();
await parallel(
  "fjord.AsyncPoolExecutor(2)",
  () => new AsyncPoolExecutor({ maxWorkers: 2 }),
  fib,
  s,
);
