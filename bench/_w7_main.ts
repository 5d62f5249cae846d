// The W7 service program: argv[0] is JSON { launcher, isolation?, standby?, dir }.
// The launch time is taken just before the launcher is built (where the peers take theirs: just
// before oslo's service.launch() / cotyledon's ServiceManager.run()) and travels to the
// service in its arguments, which writes it in its start marker, as the peers' services do.
// ServiceLauncher (W7a) runs the service in this process: its module is loaded before the launch
// time, as the peers' service class is (oslo's harness builds the service object, then calls
// launch()); launching a ServiceRef instead would add the module's import (~5 ms) to the launch.

import { initBackend, ProcessLauncher, ServiceLauncher } from "@fjord/fjord";

const plan = JSON.parse(Deno.args[0]!) as {
  launcher: "service" | "process";
  isolation?: "worker" | "process";
  standby?: boolean;
  dir: string;
};
initBackend(plan.isolation === "worker" ? "threading" : "cooperative");
const inProcess = plan.launcher === "service" ? await import("./_w7_service.ts") : undefined;
const tLaunch = performance.timeOrigin + performance.now();
let launcher: ServiceLauncher | ProcessLauncher;
if (plan.launcher === "service") {
  launcher = new ServiceLauncher();
  launcher.launchService(inProcess!.w7Service({ workerId: 0 }, plan.dir, false, tLaunch));
} else {
  launcher = new ProcessLauncher(undefined, {
    isolation: plan.isolation!,
    standby: plan.standby ?? false,
    // The harness kills each worker twice within a minute. fjord's default policy delays a
    // second restart of one worker within its window by 100 ms (a crash-loop guard); the peers'
    // throttles (oslo's "forking too fast", cotyledon's) do not fire at this spacing. Without
    // the delay, the figure is the respawn itself, as theirs is.
    restart: { backoff: { initial: 0 } },
  });
  const ref = {
    module: new URL("./_w7_service.ts", import.meta.url),
    export: "w7Service",
    args: [plan.dir, plan.isolation === "worker", tLaunch],
  };
  launcher.launchService(ref, { workers: 2 });
}
Deno.exit(await launcher.wait());
