// A launcher service that logs through fjord's logger when it starts.

import { getLogger, type ServiceBase } from "@fjord/fjord";

export function logging(ctx: { workerId: number }): ServiceBase {
  const stopped = Promise.withResolvers<void>();
  return {
    start(): void {
      getLogger().info(`hello from worker ${ctx.workerId}`, { n: ctx.workerId });
      getLogger().warn("warned through warn()");
    },
    stop: () => stopped.resolve(),
    wait: () => stopped.promise,
    reset(): void {},
  };
}
