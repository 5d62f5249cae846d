// deno-lint-ignore-file no-console -- the tests read what this program prints.
// The launcher tests' main program: one JSON argument says which launcher to run and how; it
// exits with the code wait() resolved (or 99 and the error's name when wait() rejected).

import {
  Config,
  initBackend,
  launch,
  ProcessLauncher,
  type RestartPolicy,
  ServiceLauncher,
} from "@fjord/fjord";
import { traceTimers } from "../../../_util.ts";
import { type MarkerOptions, MarkerService } from "./marker_service.ts";

/** What the launcher tests ask this program to run (its one JSON argument). */
export interface Plan {
  backend: "threading" | "cooperative";
  launcher: "service" | "process" | "launch";
  isolation?: "worker" | "process";
  workers?: number;
  instance?: boolean;
  noFork?: boolean;
  standby?: boolean;
  restartMethod?: "reload" | "mutate";
  restart?: RestartPolicy;
  health?: { port: number; hostname?: string };
  migrateRequests?: boolean;
  configFile?: string;
  /**
   * On SIGUSR2, collect garbage and print `HEAP <bytes>` (the JS heap in use): the chaos
   * scenarios' leak probe. Needs `--v8-flags=--expose-gc`.
   */
  heapProbe?: boolean;
  export?: string;
  module?: string;
  /**
   * Follow wait() with then() instead of a top-level await: a pending top-level await itself
   * keeps the event loop running while signal listeners exist, so without it only the
   * launcher's own hold keeps the program alive.
   */
  noTopLevelAwait?: boolean;
  /** Print `TIMER <caller>` whenever this program (not a worker) creates a timer. */
  traceTimers?: boolean;
  /** ms between launchService() and wait() (the services run meanwhile). */
  waitAfter?: number;
  service: MarkerOptions;
}

const plan = JSON.parse(Deno.args[0]!) as Plan;
if (plan.traceTimers) traceTimers((name, caller) => console.log(`TIMER ${name} ${caller}`));
initBackend(plan.backend);
if (plan.heapProbe) {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("heapProbe needs --v8-flags=--expose-gc");
  Deno.addSignalListener("SIGUSR2", () => {
    // Twice: the first pass may only queue finalizers that free more.
    gc();
    gc();
    console.log(`HEAP ${Deno.memoryUsage().heapUsed}`);
  });
}
let conf: Config | undefined;
if (plan.configFile !== undefined) {
  conf = new Config();
  await conf.load({ files: [plan.configFile] });
}
const ref = {
  module: plan.module ?? new URL("./marker_service.ts", import.meta.url).href,
  export: plan.export ?? "factory",
  args: [plan.service],
};
const target = plan.instance ? new MarkerService(plan.service, 0, conf) : ref;
const workers = plan.workers === undefined ? {} : { workers: plan.workers };
let launcher: ServiceLauncher | ProcessLauncher;
if (plan.launcher === "launch") {
  launcher = launch(conf, target, {
    ...workers,
    ...(plan.restartMethod ? { restartMethod: plan.restartMethod } : {}),
    ...(plan.noFork ? { noFork: true } : {}),
  });
} else if (plan.launcher === "service") {
  launcher = new ServiceLauncher(conf, { restartMethod: plan.restartMethod ?? "reload" });
  launcher.launchService(target);
} else {
  launcher = new ProcessLauncher(conf, {
    restartMethod: plan.restartMethod ?? "reload",
    noFork: plan.noFork ?? false,
    ...(plan.isolation ? { isolation: plan.isolation } : {}),
    ...(plan.standby ? { standby: true } : {}),
    ...(plan.restart ? { restart: plan.restart } : {}),
    ...(plan.health ? { health: plan.health } : {}),
    ...(plan.migrateRequests !== undefined ? { migrateRequests: plan.migrateRequests } : {}),
  });
  if (launcher.healthAddress) console.log(`HEALTH ${launcher.healthAddress.port}`);
  launcher.launchService(target, workers);
}
if (plan.waitAfter !== undefined) await new Promise((r) => setTimeout(r, plan.waitAfter));
// wait() installs the signal handlers synchronously (if launchService() has not); only then may
// the tests send signals.
const waiting = launcher.wait();
console.log(`LAUNCHED ${Deno.pid}`);
const finished = waiting.then((code) => {
  console.log(`EXIT ${code}`);
  Deno.exit(code);
}, (err) => {
  console.log(`REJECTED ${(err as Error).name}: ${(err as Error).message}`);
  Deno.exit(99);
});
if (!plan.noTopLevelAwait) await finished;
