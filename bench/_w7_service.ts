// The W7 service: start() writes <dir>/start-<uuid> holding "<epoch ms> <workerId> <pid>
// <launch epoch ms>"; stop() writes stop-<uuid>. While running it polls every ms for
// <dir>/ping-<uuid> (answers pong-<uuid>: the harness's liveness check) and, with `crashable`,
// for <dir>/crash-<workerId>: it then writes crash-at-<workerId> (the time) and throws an
// uncaught error, which ends its Web Worker (the launcher is told at once and terminate()s it).
// That is the Worker-isolation analogue of SIGKILLing a worker process: a Web Worker cannot be
// killed from another process, and an uncaught error is the end a harness can trigger from a file.

import type { ServiceBase } from "@fjord/fjord";

function now(): number {
  return performance.timeOrigin + performance.now();
}

function take(path: string): boolean {
  try {
    Deno.removeSync(path);
    return true;
  } catch {
    return false;
  }
}

export function w7Service(
  ctx: { workerId: number },
  dir: string,
  crashable: boolean,
  tLaunch: number,
): ServiceBase {
  const id = crypto.randomUUID();
  let timer: ReturnType<typeof setInterval> | undefined;
  return {
    start(): void {
      const t = now();
      timer = setInterval(() => {
        if (take(`${dir}/ping-${id}`)) Deno.writeTextFileSync(`${dir}/pong-${id}`, "");
        if (!crashable || !take(`${dir}/crash-${ctx.workerId}`)) return;
        Deno.writeTextFileSync(`${dir}/crash-at-${ctx.workerId}`, String(now()));
        throw new Error("W7 crash");
      }, 1);
      // Whole or not at all: the harness polls for it.
      Deno.writeTextFileSync(`${dir}/.start-${id}`, `${t} ${ctx.workerId} ${Deno.pid} ${tLaunch}`);
      Deno.renameSync(`${dir}/.start-${id}`, `${dir}/start-${id}`);
    },
    stop(): void {
      clearInterval(timer);
      Deno.writeTextFileSync(`${dir}/stop-${id}`, String(now()));
    },
    wait(): void {},
    reset(): void {},
  };
}
