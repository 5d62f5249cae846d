// `deno run chaos/_fixtures/crash_launcher.ts <isolation> <cycles>`: a ProcessLauncher whose one
// worker crashes right after every start. Prints one JSON line: the launcher's RSS after the
// first 10 % of the crash/respawn cycles and after all of them, and how many it saw.
//
// The launcher gets a clock that runs 1000× faster than real time for short waits: its respawn
// throttle (or the restart policy's back-off) would otherwise make 1 000 crashes take an hour. What is measured is
// the memory each crash leaves behind, not the policy.

import { type Clock, ProcessLauncher } from "../../mod.ts";

const isolation = Deno.args[0] as "worker" | "process";
const cycles = Number(Deno.args[1]);
const SPEED = 1000;
// Waits this long or longer (the graceful shutdown timeout) run in real time: a stopping child
// must not be killed because time ran fast.
const GRACE_MS = 10_000;

const fastClock: Clock = {
  now: () => performance.now() * SPEED,
  sleep: (ms, options) =>
    new Promise<void>((resolve, reject) => {
      const signal = options?.signal;
      if (signal?.aborted) return reject(signal.reason);
      const id = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms >= GRACE_MS ? ms : ms / SPEED);
      const onAbort = (): void => {
        clearTimeout(id);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};

const launcher = new ProcessLauncher(undefined, { isolation, clock: fastClock });
launcher.launchService(
  { module: new URL("./crash_service.ts", import.meta.url), export: "crashing" },
  { workers: 1 },
);
const waiting = launcher.wait();
const early = Math.max(1, Math.floor(cycles / 10));
let rssEarly = 0;
const marks: number[] = []; // RSS in MiB at each tenth of the run
const started = performance.now();
const deadline = started + 30 * 60_000;
for (;;) {
  const restarts = launcher.workers[0]?.restarts ?? 0;
  if (rssEarly === 0 && restarts >= early) {
    (globalThis as { gc?: () => void }).gc?.();
    rssEarly = Deno.memoryUsage().rss;
  }
  if (restarts >= (marks.length + 1) * early && marks.length < 10) {
    marks.push(Math.round(Deno.memoryUsage().rss / 2 ** 20));
  }
  if (restarts >= cycles || performance.now() > deadline) break;
  await new Promise((r) => setTimeout(r, 5));
}
(globalThis as { gc?: () => void }).gc?.();
const rssEnd = Deno.memoryUsage().rss;
const restarts = launcher.workers[0]?.restarts ?? 0;
await launcher.stop();
const code = await waiting;
Deno.stdout.writeSync(
  new TextEncoder().encode(
    JSON.stringify({ restarts, rssEarly, rssEnd, code, ms: performance.now() - started, marks }) +
      "\n",
  ),
);
