// The README's api.ts shape: a module that defines its service and launches itself, naming its
// own module in the ServiceRef. `deno run self_launching.ts <isolation> <dir>`.

import { type Config, ProcessLauncher, type ServiceBase } from "@fjord/fjord";

export function api(ctx: { workerId: number; conf: Config }, dir: string): ServiceBase {
  const stopped = Promise.withResolvers<void>();
  return {
    start(): void {
      Deno.writeTextFileSync(`${dir}/events.log`, `start ${ctx.workerId}\n`, { append: true });
    },
    stop(): void {
      stopped.resolve();
    },
    wait: () => stopped.promise,
    reset(): void {},
  };
}

/** Launches `module`'s `api` export with 2 workers and exits with the launcher's code. */
export async function launchSelf(module: string, isolation: string, dir: string): Promise<never> {
  const launcher = new ProcessLauncher(undefined, { isolation: isolation as "worker" });
  launcher.launchService({ module, export: "api", args: [dir] }, { workers: 2 });
  Deno.exit(await launcher.wait());
}

if (import.meta.main) {
  await launchSelf(import.meta.url, Deno.args[0]!, Deno.args[1]!);
}
