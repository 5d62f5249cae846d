// A launcher service that ends its worker once, in the way its `mode` names, 30 ms after its first
// start; later starts (the respawned worker) run until stopped. Each start appends
// "start <workerId>" to <dir>/events.log; just before ending it writes the wall-clock ms to
// <dir>/ended-at, so the test can time how fast the launcher noticed.

import type { ServiceBase } from "@fjord/fjord";

export type EndMode =
  | "start-throws"
  | "throw"
  | "rejection"
  | "exit"
  | "exit-0"
  | "close"
  | "sigkill"
  | "oom";

function first(dir: string): boolean {
  try {
    Deno.writeTextFileSync(`${dir}/first`, "", { createNew: true });
    return true;
  } catch {
    return false;
  }
}

function end(mode: EndMode, dir: string): void {
  Deno.writeTextFileSync(`${dir}/ended-at`, String(performance.timeOrigin + performance.now()));
  switch (mode) {
    case "throw":
      throw new Error("ended by an uncaught error");
    case "rejection":
      void Promise.reject(new RangeError("ended by a rejection"));
      return;
    case "exit":
      Deno.exit(4);
      break;
    case "exit-0":
      Deno.exit();
      break;
    case "close":
      (globalThis as unknown as { close(): void }).close();
      return;
    case "sigkill":
      Deno.kill(Deno.pid, "SIGKILL");
      return;
    case "oom": {
      const hog: number[][] = [];
      for (;;) hog.push(new Array(1e6).fill(1.5));
    }
  }
}

export function ending(ctx: { workerId: number }, mode: EndMode, dir: string): ServiceBase {
  const stopped = Promise.withResolvers<void>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  return {
    start(): void {
      const isFirst = first(dir);
      Deno.writeTextFileSync(`${dir}/events.log`, `start ${ctx.workerId}\n`, { append: true });
      if (!isFirst) return;
      if (mode === "start-throws") {
        Deno.writeTextFileSync(
          `${dir}/ended-at`,
          String(performance.timeOrigin + performance.now()),
        );
        throw new Error("start failed on purpose");
      }
      timer = setTimeout(() => end(mode, dir), 30);
    },
    stop(): void {
      clearTimeout(timer);
      stopped.resolve();
    },
    wait: () => stopped.promise,
    reset(): void {},
  };
}
