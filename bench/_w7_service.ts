// The W7 service: start() writes <dir>/start-<uuid> holding "<epoch ms> <workerId> <pid>";
// stop() writes stop-<uuid>. With `crashable`, a worker that finds <dir>/crash-<workerId>
// writes crash-at-<workerId> (the time) and throws an uncaught error: the Web Worker analogue
// of SIGKILLing a worker process.

import type { ServiceBase } from "@fjord/fjord";

function now(): number {
  return performance.timeOrigin + performance.now();
}

export function w7Service(
  ctx: { workerId: number },
  dir: string,
  crashable: boolean,
): ServiceBase {
  const id = crypto.randomUUID();
  let timer: ReturnType<typeof setInterval> | undefined;
  return {
    start(): void {
      Deno.writeTextFileSync(`${dir}/start-${id}`, `${now()} ${ctx.workerId} ${Deno.pid}`);
      if (crashable) {
        timer = setInterval(() => {
          try {
            Deno.removeSync(`${dir}/crash-${ctx.workerId}`);
          } catch {
            return;
          }
          Deno.writeTextFileSync(`${dir}/crash-at-${ctx.workerId}`, String(now()));
          throw new Error("W7 crash");
        }, 1);
      }
    },
    stop(): void {
      clearInterval(timer);
      Deno.writeTextFileSync(`${dir}/stop-${id}`, String(now()));
    },
    wait(): void {},
    reset(): void {},
  };
}
