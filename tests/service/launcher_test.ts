import assert from "node:assert/strict";
import { Config, Launcher, type ServiceBase } from "@fjord/fjord";

function recorder(log: string[]): ServiceBase {
  return {
    start: () => {
      log.push("start");
    },
    stop: (o) => {
      log.push(`stop ${o?.graceful}`);
    },
    wait: () => {
      log.push("wait");
    },
    reset: () => {
      log.push("reset");
    },
  };
}

Deno.test("Launcher.launchService() starts the service; stop() then wait() resolve", async () => {
  const log: string[] = [];
  const launcher = new Launcher();
  launcher.launchService(recorder(log));
  await launcher.stop();
  await launcher.wait();
  assert.deepEqual(log, ["start", "stop false", "wait"]);
});

Deno.test("Launcher.launchService() accepts one worker only and services only", () => {
  const launcher = new Launcher();
  assert.throws(() => launcher.launchService(recorder([]), { workers: 2 as 1 }), RangeError);
  assert.throws(() => launcher.launchService(recorder([]), { workers: 1.5 as 1 }), TypeError);
  assert.throws(
    () => launcher.launchService({ start(): void {} } as unknown as ServiceBase),
    TypeError,
  );
  assert.throws(() => new Launcher(undefined, { restartMethod: "x" as "reload" }), TypeError);
});

Deno.test("Launcher.restart() reloads the config files and restarts the services", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/a.conf`;
    await Deno.writeTextFile(file, "[DEFAULT]\ngraceful_shutdown_timeout = 5\n");
    const conf = new Config();
    await conf.load({ files: [file] });
    const log: string[] = [];
    await using launcher = new Launcher(conf);
    launcher.launchService(recorder(log));
    assert.equal(conf.get("graceful_shutdown_timeout"), 5);
    await Deno.writeTextFile(file, "[DEFAULT]\ngraceful_shutdown_timeout = 7\n");
    await launcher.restart();
    assert.equal(conf.get("graceful_shutdown_timeout"), 7);
    assert.deepEqual(log, ["start", "stop false", "reset", "start"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Launcher.restart() with mutate only resets", async () => {
  const log: string[] = [];
  const launcher = new Launcher(new Config(), { restartMethod: "mutate" });
  launcher.launchService(recorder(log));
  await launcher.restart();
  assert.deepEqual(log, ["start", "reset"]);
  await launcher.stop();
  await launcher.wait();
});

Deno.test("Launcher.launchService() after stop() throws InvalidStateError, as ServiceLauncher's does", async () => {
  const log: string[] = [];
  const launcher = new Launcher();
  await launcher.stop();
  // The service used to start after the stop and run on, never stopped.
  assert.throws(() => launcher.launchService(recorder(log)), { name: "InvalidStateError" });
  await launcher.wait();
  assert.deepEqual(log, []);
});
