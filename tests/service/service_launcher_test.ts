import assert from "node:assert/strict";
import { Config, FakeClock, type ServiceBase, ServiceLauncher, SignalExit } from "@fjord/fjord";
import { Run, SERVICE, waitFor } from "./_launcher_helpers.ts";
import { captureLog } from "../_util.ts";

function service(overrides: Partial<ServiceBase> = {}): ServiceBase & { log: string[] } {
  const log: string[] = [];
  const stopped = Promise.withResolvers<void>();
  return {
    log,
    start: () => {
      log.push("start");
    },
    stop: (o) => {
      log.push(`stop ${o?.graceful}`);
      stopped.resolve();
    },
    wait: () => stopped.promise,
    reset: () => {
      log.push("reset");
    },
    ...overrides,
  };
}

Deno.test("ServiceLauncher.stop() makes wait() resolve 0; both are idempotent", async () => {
  const launcher = new ServiceLauncher();
  const svc = service();
  launcher.launchService(svc);
  const waiting = launcher.wait();
  assert.equal(launcher.wait(), waiting);
  const stopping = launcher.stop();
  assert.equal(launcher.stop(), stopping);
  await stopping;
  assert.equal(await waiting, 0);
  assert.deepEqual(svc.log, ["start", "stop true"]);
  assert.throws(() => launcher.launchService(service()), {
    name: "InvalidStateError",
    message: /stopped/,
  });
});

Deno.test("ServiceLauncher.wait() resolves 2 when a start() throws, after stopping the rest", async () => {
  const launcher = new ServiceLauncher();
  const ok = service();
  launcher.launchService(ok);
  launcher.launchService(service({
    start: () => Promise.reject(new Error("no start")),
  }));
  assert.equal(await launcher.wait(), 2);
  assert.deepEqual(ok.log, ["start", "stop true"]);
});

Deno.test("ServiceLauncher.wait() resolves a SignalExit's code and 2 for a wait() error", async () => {
  const a = new ServiceLauncher();
  a.launchService(service({ start: () => Promise.reject(new SignalExit("SIGHUP", 3)) }));
  assert.equal(await a.wait(), 3);
  const b = new ServiceLauncher();
  b.launchService(service({ wait: () => Promise.reject(new Error("wait broke")) }));
  assert.equal(await b.wait(), 2);
});

Deno.test("ServiceLauncher builds a ServiceRef factory here with workerId 0 and the Config", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const conf = new Config();
    const launcher = new ServiceLauncher(conf);
    launcher.launchService({ module: SERVICE, export: "factory", args: [{ dir }] });
    const waiting = launcher.wait();
    const read = (): string => {
      try {
        return Deno.readTextFileSync(`${dir}/events.log`);
      } catch {
        return "";
      }
    };
    await waitFor(() => read().startsWith("start 0"), "the start event");
    assert.match(read(), new RegExp(`^start 0 ${Deno.pid} .* timeout=60`));
    await launcher.stop();
    assert.equal(await waiting, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ServiceLauncher.wait() rejects naming module and export for a bad ServiceRef", async () => {
  for (const exp of ["missing", "notAService", "returnsJunk"]) {
    const launcher = new ServiceLauncher();
    launcher.launchService({ module: SERVICE, export: exp, args: [] });
    await assert.rejects(launcher.wait(), (err: Error) => {
      assert.equal(err.name, "ServiceNotFoundError");
      assert.match(err.message, new RegExp(`'${exp}' from '.*marker_service\\.ts'`));
      return true;
    });
  }
  const launcher = new ServiceLauncher();
  launcher.launchService({ module: new URL("./no_such_module.ts", SERVICE) });
  await assert.rejects(
    launcher.wait(),
    /'default' from '.*no_such_module\.ts' as the module failed/,
  );
  assert.throws(() => new ServiceLauncher().launchService({ module: "relative.ts" }), TypeError);
  assert.throws(
    () => new ServiceLauncher().launchService(service(), { workers: 2 as 1 }),
    RangeError,
  );
});

Deno.test("ServiceLauncher: a reload whose config file turned invalid is logged and keeps the service and the old config; a fixed file then reloads", async () => {
  using log = captureLog();
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/svc.conf`;
    await Deno.writeTextFile(file, "[DEFAULT]\ngraceful_shutdown_timeout = 3\n");
    const conf = new Config();
    await conf.load({ files: [file] });
    const launcher = new ServiceLauncher(conf);
    const s = service();
    launcher.launchService(s);
    const waiting = launcher.wait();
    let exited = false;
    void waiting.then(() => (exited = true));
    await waitFor(() => s.log.length === 1, "start");
    await Deno.writeTextFile(file, "[DEFAULT]\ngraceful_shutdown_timeout = notanumber\n");
    // Before: "Service failed; stopping", and wait() resolved 2.
    await launcher.restart();
    assert.deepEqual(s.log, ["start"]);
    assert.equal(conf.get("graceful_shutdown_timeout"), 3);
    assert.equal(exited, false);
    assert.ok(log.messages("error").some((m) => m.startsWith("Reload failed; the old config")));
    await Deno.writeTextFile(file, "[DEFAULT]\ngraceful_shutdown_timeout = 4\n");
    await launcher.restart();
    assert.equal(conf.get("graceful_shutdown_timeout"), 4);
    await launcher.stop();
    assert.equal(await waiting, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ServiceLauncher: SIGINT during a hanging graceful stop ends the program at once, its graceful_shutdown_timeout timer gone with it", async () => {
  const fixture = new URL("./_fixtures/term_then_int.ts", import.meta.url).pathname;
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", fixture],
    stderr: "piped",
  }).output();
  const took = performance.now() - t0;
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  // Before, the program lived on to the 30 s timeout after wait() had resolved 1, and logged it.
  assert.ok(took < 15_000, `the program ended ${took} ms after it started`);
  assert.doesNotMatch(stderr, /Graceful shutdown timeout exceeded/);
});

Deno.test("ServiceLauncher force-stops when graceful_shutdown_timeout expires and resolves 1", async () => {
  using clock = new FakeClock();
  const conf = new Config();
  const launcher = new ServiceLauncher(conf, { clock });
  const calls: (boolean | undefined)[] = [];
  launcher.launchService(service({
    stop: (o) => {
      calls.push(o?.graceful);
      // Hangs when asked for grace; a forced stop returns at once.
      return o?.graceful ? new Promise(() => {}) : undefined;
    },
  }));
  const waiting = launcher.wait();
  const stopping = launcher.stop();
  await clock.tickAsync(59_999);
  let done = false;
  void waiting.then(() => (done = true));
  await clock.runMicrotasks();
  assert.equal(done, false);
  await clock.tickAsync(1);
  assert.equal(await waiting, 1);
  await stopping;
  assert.deepEqual(calls, [true, false]);
});

for (const backend of ["threading", "cooperative"] as const) {
  Deno.test(`ServiceLauncher SIGTERM stops gracefully and exits 0; SIGINT exits 1 (${backend})`, async () => {
    await Promise.all([
      (async () => {
        await using run = await Run.start({ backend, launcher: "service", instance: true });
        await run.waitEvents("start", 1);
        run.kill("SIGTERM");
        const out = await run.exit();
        assert.equal(out.code, 0, out.stderr);
        assert.equal(run.events().find((e) => e.event === "stop")?.extra, "graceful=true");
      })(),
      (async () => {
        await using run = await Run.start({
          backend,
          launcher: "service",
          service: { mode: "hang-stop" },
        });
        await run.waitEvents("start", 1);
        run.kill("SIGINT");
        const out = await run.exit();
        assert.equal(out.code, 1, out.stderr);
        assert.equal(run.events().find((e) => e.event === "stop")?.extra, "graceful=false");
      })(),
    ]);
  });

  Deno.test(`ServiceLauncher SIGTERM right after start(), before wait(), stops gracefully and exits 0 (${backend})`, async () => {
    // launchService() installs the handlers: before, a SIGTERM until wait() killed the process.
    await using run = await Run.start({
      backend,
      launcher: "service",
      instance: true,
      waitAfter: 2_000,
    });
    // Not waitEvents(), which also waits for LAUNCHED (printed after wait()).
    await waitFor(() => run.count("start") === 1, "the start");
    run.kill("SIGTERM");
    const out = await run.exit();
    assert.equal(out.signal, null, `killed by ${out.signal}`);
    assert.equal(out.code, 0, out.stderr);
    // Caught before wait() ran (LAUNCHED comes after it).
    const caught = out.stdout.indexOf("Caught SIGTERM");
    assert.ok(caught >= 0 && caught < out.stdout.indexOf("LAUNCHED"), out.stdout);
    assert.equal(run.events().find((e) => e.event === "stop")?.extra, "graceful=true");
  });

  Deno.test(`ServiceLauncher stops cleanly on SIGTERM during start-up (${backend})`, async () => {
    await Promise.all([true, false].map(async (instance) => {
      await using run = await Run.start({
        backend,
        launcher: "service",
        instance,
        service: { startDelay: 800 },
      });
      await waitFor(() => run.stdout.includes("LAUNCHED"), "the launch");
      run.kill("SIGTERM");
      const out = await run.exit();
      assert.equal(out.code, 0, out.stderr);
      // A service that was built got its graceful stop (a ServiceRef may still have been loading).
      assert.equal(run.count("stop"), instance ? 1 : run.count("start"));
      assert.ok(run.events().every((e) => e.event !== "stop" || e.extra === "graceful=true"));
    }));
  });

  Deno.test(`ServiceLauncher SIGHUP reloads config and restarts; mutate only resets (${backend})`, async () => {
    await Promise.all([
      (async () => {
        const dir = await Deno.makeTempDir({ prefix: "fjord-launcher-" });
        const file = `${dir}/svc.conf`;
        await Deno.writeTextFile(file, "[DEFAULT]\ngraceful_shutdown_timeout = 10\n");
        await using run = await Run.start({ backend, launcher: "service", configFile: file }, {
          dir,
        });
        await run.waitEvents("start", 1);
        await Deno.writeTextFile(file, "[DEFAULT]\ngraceful_shutdown_timeout = 11\n");
        run.kill("SIGHUP");
        await run.waitEvents("start", 2);
        assert.deepEqual(run.events().map((e) => `${e.event} ${e.extra}`), [
          "start timeout=10",
          "stop graceful=false",
          "reset ",
          "start timeout=11",
        ]);
        run.kill("SIGTERM");
        assert.equal((await run.exit()).code, 0);
      })(),
      (async () => {
        await using run = await Run.start({
          backend,
          launcher: "service",
          restartMethod: "mutate",
        });
        await run.waitEvents("start", 1);
        run.kill("SIGHUP");
        await run.waitEvents("reset", 1);
        run.kill("SIGTERM");
        assert.equal((await run.exit()).code, 0);
        assert.deepEqual(run.events().map((e) => e.event), ["start", "reset", "stop"]);
      })(),
    ]);
  });
}

Deno.test("ServiceLauncher.restart() still works after a restart that failed", async () => {
  let resets = 0;
  const s = service({
    reset: () => {
      if (++resets === 1) throw new Error("reset failed once");
    },
  });
  const launcher = new ServiceLauncher(undefined, { restartMethod: "mutate" });
  launcher.launchService(s);
  await assert.rejects(launcher.restart(), /reset failed once/);
  await launcher.restart();
  assert.equal(resets, 2);
  await launcher.stop();
  assert.equal(await launcher.wait(), 0);
});

Deno.test("ServiceLauncher.stop() during a restart's stop keeps the service stopped and resolves 0", async () => {
  // SIGTERM while a SIGHUP reload is still stopping the services: the reload used to start them
  // again afterwards, so the graceful stop never finished (exit 1 at graceful_shutdown_timeout).
  const stopGate = Promise.withResolvers<void>();
  const s = service({
    stop: async (o) => {
      s.log.push(`stop ${o?.graceful}`);
      await stopGate.promise;
    },
    wait: () => {},
  });
  using clock = new FakeClock();
  const launcher = new ServiceLauncher(undefined, { clock });
  launcher.launchService(s);
  const waiting = launcher.wait();
  await waitFor(() => s.log.length === 1, "start");
  const restarting = launcher.restart();
  await waitFor(() => s.log.length === 2, "the restart's stop");
  const stopping = launcher.stop();
  stopGate.resolve();
  await restarting;
  // The old code hung until graceful_shutdown_timeout (60 s, fake) fired.
  await clock.tickAsync(60_000);
  await stopping;
  assert.equal(await waiting, 0);
  assert.deepEqual(s.log, ["start", "stop false"]);
});

Deno.test("ServiceLauncher: a start() that a reload superseded does not fail the restarted service", async () => {
  // SIGHUP while start() is still running: the service is stopped, reset and started again; the
  // first start() failing afterwards used to stop the launcher with 2.
  const firstStart = Promise.withResolvers<void>();
  let starts = 0;
  const s = service({
    start: () => {
      s.log.push("start");
      if (++starts === 1) return firstStart.promise;
    },
  });
  const launcher = new ServiceLauncher();
  launcher.launchService(s);
  const waiting = launcher.wait();
  await launcher.restart();
  firstStart.reject(new Error("first start failed"));
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(s.log, ["start", "stop false", "reset", "start"]);
  await launcher.stop();
  assert.equal(await waiting, 0);
  assert.deepEqual(s.log, ["start", "stop false", "reset", "start", "stop true"]);
});

Deno.test("constructing a launcher selects the backend (ServiceLauncher, Launcher, ProcessLauncher)", async () => {
  const { getBackendType, Launcher, ProcessLauncher, registerBackendDefaultHook, resetBackend } =
    await import("@fjord/fjord");
  const make = [
    () => new ServiceLauncher(),
    () => new Launcher(),
    // An explicit isolation needs no backend, but the construction still selects one.
    () => new ProcessLauncher(undefined, { isolation: "process" }),
    () => new ProcessLauncher(undefined, { noFork: true }),
  ];
  try {
    for (const construct of make) {
      resetBackend();
      registerBackendDefaultHook(() => "threading");
      assert.equal(getBackendType(), undefined);
      construct();
      assert.equal(getBackendType(), "threading");
    }
  } finally {
    resetBackend();
  }
});

for (
  const c of [{ launcher: "service" as const }, { launcher: "process" as const, noFork: true }]
) {
  Deno.test(
    `${c.launcher === "service" ? "ServiceLauncher" : "ProcessLauncher (noFork)"}.wait() keeps ` +
      "alive a process whose service has nothing pending, until SIGTERM",
    async () => {
      // The marker service's start() sets no timer and opens nothing, and the script does not
      // await wait() at its top level: only the launcher's hold keeps its event loop alive.
      await using run = await Run.start({ backend: "cooperative", noTopLevelAwait: true, ...c });
      await run.waitEvents("start", 1);
      let exited = false;
      void run.exit().then(() => exited = true);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(exited, false, `exited early: ${run.output}`);
      run.kill("SIGTERM");
      const out = await run.exit();
      assert.equal(out.code, 0, run.output);
      assert.equal(run.count("stop"), 1);
    },
  );
}

Deno.test("ServiceLauncher.stop() at any step of a restart's config reload keeps the service stopped", async () => {
  // A SIGTERM while a SIGHUP reload re-reads the config (before it reaches the services) must not
  // let the reload start the service again: stop() is tried at every turn of that window.
  for (let turns = 0; turns < 40; turns++) {
    const s = service({ wait: () => {} });
    using clock = new FakeClock();
    const launcher = new ServiceLauncher(undefined, { clock });
    launcher.launchService(s);
    const waiting = launcher.wait();
    await waitFor(() => s.log.length === 1, "start");
    const restarting = launcher.restart();
    for (let i = 0; i < turns; i++) await Promise.resolve();
    const stopping = launcher.stop();
    await restarting;
    await clock.tickAsync(60_000);
    await stopping;
    assert.equal(await waiting, 0, `stop() after ${turns} turns`);
    // Stopped last: a reload may have started it again before the stop came, never after.
    assert.match(s.log.at(-1)!, /^stop/, `stop() after ${turns} turns: ${s.log.join(", ")}`);
  }
});

Deno.test("SignalExit: a 'code' given as a string is a TypeError, a non-integer a RangeError", () => {
  assert.throws(() => new SignalExit("SIGHUP", "2" as unknown as number), {
    name: "TypeError",
    message: "Cannot create SignalExit as 'code' must be an integer: current value is string 2",
  });
  for (const code of [1.5, Number.NaN]) {
    assert.throws(() => new SignalExit("SIGHUP", code), {
      name: "RangeError",
      message:
        `Cannot create SignalExit as 'code' must be an integer: current value is number ${code}`,
    });
  }
});

Deno.test("ServiceLauncher: a service failing ends the graceful_shutdown_timeout timer with the stop", async () => {
  // The stop's race rejected with the service's error before its timer was aborted: the program
  // lived on for graceful_shutdown_timeout (60 s by default) after wait() had resolved 2.
  using clock = new FakeClock();
  using _log = captureLog();
  const launcher = new ServiceLauncher(undefined, { clock });
  launcher.launchService({
    start(): void {
      throw new Error("boom");
    },
    stop(): void {},
    wait(): void {},
    reset(): void {},
  });
  assert.equal(await launcher.wait(), 2);
  assert.equal(clock.pending, 0);
});

Deno.test("ServiceLauncher calls a service's wait() once per run, as oslo (it called it twice)", async () => {
  let waits = 0;
  const stopped = Promise.withResolvers<void>();
  const service: ServiceBase = {
    start(): void {},
    stop(): void {
      stopped.resolve();
    },
    wait(): Promise<void> {
      waits++;
      return stopped.promise;
    },
    reset(): void {},
  };
  const launcher = new ServiceLauncher();
  launcher.launchService(service);
  const code = launcher.wait();
  await launcher.stop();
  assert.equal(await code, 0);
  assert.equal(waits, 1);
});
