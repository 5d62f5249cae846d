// deno-lint-ignore-file no-console -- an example program prints what it does.
/**
 * A `Service` with a heartbeat timer (`tg.addTimer`) and `PeriodicTasks` driven by a dynamic
 * timer, run by a ServiceLauncher until Ctrl-C / SIGTERM.
 *
 *     deno run --allow-env examples/periodic_service.ts
 *
 * `FJORD_DEMO_TICKS=n` stops it by itself after n heartbeats (used by the tests).
 *
 * @module
 */

import { periodicTask, PeriodicTasks, Service, ServiceLauncher } from "@fjord/fjord";

class Housekeeping extends PeriodicTasks {
  @periodicTask({ spacing: 1000, runImmediately: true })
  purgeCache(): void {
    console.log("purging the cache");
  }

  @periodicTask({ spacing: 2500 })
  report(): void {
    console.log("reporting usage");
  }
}

class PeriodicService extends Service {
  #tasks = new Housekeeping();
  #beats = 0;
  #onBeat: (beats: number) => void;

  constructor(onBeat: (beats: number) => void) {
    super();
    this.#onBeat = onBeat;
  }

  override start(): void {
    this.tg.addTimer(500, () => {
      this.#beats++;
      console.log(`heartbeat ${this.#beats}`);
      this.#onBeat(this.#beats);
    });
    // runPeriodicTasks() returns how long until the next task is due.
    this.tg.addDynamicTimer(() => this.#tasks.runPeriodicTasks(), { periodicIntervalMax: 1000 });
  }
}

if (import.meta.main) {
  const limit = Number(Deno.env.get("FJORD_DEMO_TICKS") ?? Infinity);
  const launcher = new ServiceLauncher();
  launcher.launchService(
    new PeriodicService((beats) => {
      if (beats >= limit) void launcher.stop();
    }),
  );
  Deno.exit(await launcher.wait());
}
