import assert from "node:assert/strict";
import { FakeClock, ProcessLauncher, resetBackend, Service } from "@fjord/fjord";
import {
  alivePids,
  childrenOf,
  type Plan,
  reaperOf,
  Run,
  SERVICE,
  type ServiceEvent,
  waitFor,
} from "./_launcher_helpers.ts";

type Combo = { backend: "threading" | "cooperative"; isolation: "worker" | "process" };
// The backends' defaults, then the cross combinations.
const DEFAULTS: Combo[] = [
  { backend: "threading", isolation: "worker" },
  { backend: "cooperative", isolation: "process" },
];
const CROSS: Combo[] = [
  { backend: "threading", isolation: "process" },
  { backend: "cooperative", isolation: "worker" },
];

function plan(c: Combo, extra: Partial<Plan> = {}): Plan {
  return { backend: c.backend, launcher: "process", isolation: c.isolation, workers: 2, ...extra };
}

/** Asserts no process started by `run` is left (its children, the pids its services logged). */
async function assertNothingLeft(run: Run): Promise<void> {
  const pids = new Set(run.events().map((e) => e.pid));
  pids.delete(run.child.pid);
  await waitFor(
    async () =>
      (await alivePids(pids)).length === 0 && (await childrenOf(run.child.pid)).length === 0,
    "every worker process to be gone",
    5_000,
  );
}

for (const c of [...DEFAULTS, ...CROSS]) {
  Deno.test(`ProcessLauncher SIGTERM stops ${c.isolation} workers gracefully and exits 0 (${c.backend})`, async () => {
    await using run = await Run.start(plan(c));
    await run.waitEvents("start", 2);
    run.kill("SIGTERM");
    const out = await run.exit();
    assert.equal(out.code, 0, out.stderr);
    const stops = run.events().filter((e) => e.event === "stop");
    assert.deepEqual(stops.map((e) => e.workerId).sort(), [0, 1]);
    assert.ok(stops.every((e) => e.extra.includes("graceful=true")));
    const starts = run.events().filter((e) => e.event === "start");
    if (c.isolation === "process") {
      assert.equal(new Set(starts.map((e) => e.pid)).size, 2);
      assert.ok(starts.every((e) => e.pid !== run.child.pid));
    } else {
      assert.ok(starts.every((e) => e.pid === run.child.pid));
    }
    await assertNothingLeft(run);
  });
}

for (const c of DEFAULTS) {
  Deno.test(`ProcessLauncher: a ${c.isolation} worker whose graceful stop() throws is logged and the launcher exits 2 (${c.backend})`, async () => {
    // The worker reported the error and exited 2, but deaths are not watched once stopping:
    // nothing was logged and wait() resolved 0 (ServiceLauncher resolves 2).
    await using run = await Run.start(plan(c, { service: { mode: "stop-throws" } }));
    await run.waitEvents("start", 2);
    run.kill("SIGTERM");
    const out = await run.exit();
    assert.equal(out.code, 2, out.stderr);
    assert.match(out.stdout + out.stderr, /failed while stopping: .*stop failed on purpose/);
    await assertNothingLeft(run);
  });

  Deno.test(`ProcessLauncher SIGINT kills ${c.isolation} workers at once and exits 1 (${c.backend})`, async () => {
    await using run = await Run.start(plan(c, { service: { mode: "hang-stop" } }));
    await run.waitEvents("start", 2);
    run.kill("SIGINT");
    const out = await run.exit();
    assert.equal(out.code, 1, out.stderr);
    assert.match(out.stdout, /Caught SIGINT/);
    await assertNothingLeft(run);
  });

  Deno.test(`ProcessLauncher SIGHUP replaces ${c.isolation} workers one at a time, never zero running (${c.backend})`, async () => {
    await using run = await Run.start(plan(c));
    await run.waitEvents("start", 2);
    run.kill("SIGHUP");
    await waitFor(() => run.count("stop") >= 2 && run.count("start") >= 4, "the rolling reload");
    run.kill("SIGTERM");
    const out = await run.exit();
    assert.equal(out.code, 0, out.stderr);
    const events = run.events().filter((e) => e.event === "start" || e.event === "stop");
    events.sort((a, b) => a.t - b.t);
    // Walk the timeline up to the final SIGTERM stops: at least one instance runs throughout.
    const live = new Set<string>();
    const final = events.slice(-2);
    for (const e of events.slice(0, -2)) {
      if (e.event === "start") live.add(e.inst);
      else live.delete(e.inst);
      if (live.size === 0) assert.fail(`zero running workers after ${JSON.stringify(e)}`);
      // One at a time: never more than one extra instance.
      if (live.size > 3) assert.fail(`${live.size} running instances after ${JSON.stringify(e)}`);
    }
    assert.ok(final.every((e) => e.event === "stop"));
    // Each worker id's new instance started before its old one stopped.
    for (const id of [0, 1]) {
      const mine = events.filter((e) => e.workerId === id);
      const [first, second] = [
        mine[0]!,
        mine.find((e) => e.event === "start" && e.inst !== mine[0]!.inst)!,
      ];
      const oldStop = mine.find((e) => e.event === "stop" && e.inst === first.inst)!;
      assert.ok(
        second.t <= oldStop.t,
        `worker ${id}: new start ${second.t} before old stop ${oldStop.t}`,
      );
    }
    await assertNothingLeft(run);
  });

  Deno.test(`ProcessLauncher SIGHUP with mutate resets ${c.isolation} workers in place (${c.backend})`, async () => {
    await using run = await Run.start(plan(c, { restartMethod: "mutate" }));
    await run.waitEvents("start", 2);
    run.kill("SIGHUP");
    await run.waitEvents("reset", 2);
    run.kill("SIGTERM");
    const out = await run.exit();
    assert.equal(out.code, 0, out.stderr);
    assert.equal(run.count("start"), 2);
  });

  Deno.test(`ProcessLauncher SIGTERM ends ${c.isolation} workers whose module never finishes loading at once and exits 0 (${c.backend})`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "fjord-launcher-" });
    await Deno.writeTextFile(`${dir}/svc.conf`, "[DEFAULT]\ngraceful_shutdown_timeout = 10\n");
    await using run = await Run.start(
      plan(c, {
        workers: 1,
        module: new URL("./_fixtures/never_loads_service.ts", import.meta.url).href,
        export: "NeverLoaded",
        configFile: `${dir}/svc.conf`,
      }),
      { dir },
    );
    await waitFor(() => run.stdout.includes("LAUNCHED"), "the launcher");
    if (c.isolation === "process") {
      await waitFor(async () => (await childrenOf(run.child.pid)).length === 1, "the worker");
    }
    // Its module is loading (or about to be): the top-level await never settles.
    await new Promise((r) => setTimeout(r, 500));
    run.kill("SIGTERM");
    const out = await run.exit();
    // The worker waited for its module until graceful_shutdown_timeout killed it: exit 1.
    assert.equal(out.code, 0, out.stderr);
    assert.doesNotMatch(out.stderr, /Graceful shutdown timeout exceeded/);
    await assertNothingLeft(run);
  });

  Deno.test(`ProcessLauncher ${c.isolation} workers get the export of a module with a slow top-level await (${c.backend})`, async () => {
    await using run = await Run.start(plan(c, {
      module: new URL("./_fixtures/slow_loads_service.ts", import.meta.url).href,
      export: "SlowLoaded",
    }));
    await waitFor(
      () => run.stdout.split("SLOW STARTED").length - 1 === 2,
      "both workers to start",
      20_000,
    );
    run.kill("SIGTERM");
    const out = await run.exit();
    assert.equal(out.code, 0, out.stderr);
    // A second import() of the module while its top-level await ran gave its exports in their
    // TDZ: "load() failed: ReferenceError: SlowLoaded is not defined", and a respawn.
    assert.doesNotMatch(out.stderr, /load\(\) failed|respawn/);
    await assertNothingLeft(run);
  });

  Deno.test(`ProcessLauncher graceful_shutdown_timeout kills hung ${c.isolation} workers and exits 1 (${c.backend})`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "fjord-launcher-" });
    await Deno.writeTextFile(`${dir}/svc.conf`, "[DEFAULT]\ngraceful_shutdown_timeout = 1\n");
    await using run = await Run.start(
      plan(c, { service: { mode: "hang-stop" }, configFile: `${dir}/svc.conf` }),
      { dir },
    );
    await run.waitEvents("start", 2);
    assert.ok(run.events().every((e) => e.event !== "start" || e.extra === "timeout=1"));
    const t0 = performance.now();
    run.kill("SIGTERM");
    const out = await run.exit();
    assert.equal(out.code, 1, out.stderr);
    assert.ok(performance.now() - t0 >= 900);
    assert.match(out.stderr, /Graceful shutdown timeout exceeded/);
    await assertNothingLeft(run);
  });

  Deno.test(`ProcessLauncher gives up on a crash-looping ${c.isolation} worker: RestartIntensityError, others stopped, exit 2 (${c.backend})`, async () => {
    await using run = await Run.start(plan(c, {
      service: { mode: "start-throws-0" },
      restart: { maxRestarts: 3, window: 60_000, backoff: { initial: 20, max: 40 } },
    }));
    const out = await run.exit();
    assert.equal(out.code, 2, out.stderr);
    // The first start and 3 restarts failed; the 4th restart was refused.
    assert.equal(run.count("start-failed"), 4);
    assert.match(
      out.stderr,
      /Cannot keep worker 0 of factory running as it needed 4 restarts within 60000 ms/,
    );
    assert.match(
      out.stderr,
      /last cause: exited with status 2 \(start\(\) failed: Error: start failed on purpose\)/,
    );
    // Each death is logged with its cause and exit code; the first respawn is immediate.
    assert.match(out.stderr, /Worker 0 of factory.* \[exit code 2\]; respawned at once/);
    assert.match(out.stderr, /respawned in 20 ms/);
    assert.match(out.stderr, /respawned in 40 ms/);
    // Worker 1 (healthy) was stopped gracefully.
    const stops = run.events().filter((e) => e.event === "stop");
    assert.deepEqual(stops.map((e) => [e.workerId, e.extra]), [[1, "graceful=true"]]);
    await assertNothingLeft(run);
  });

  Deno.test(`ProcessLauncher SIGTERM during a rolling reload stops every ${c.isolation} worker and exits 0 (${c.backend})`, async () => {
    await using run = await Run.start(plan(c, { service: { startDelay: 150 } }));
    await run.waitEvents("start", 2);
    run.kill("SIGHUP");
    // The first replacement is starting (its start() takes 150 ms).
    await new Promise((r) => setTimeout(r, 60));
    run.kill("SIGTERM");
    const out = await run.exit();
    assert.equal(out.code, 0, out.stderr);
    // Every instance that started was stopped.
    const started = new Set(run.events().filter((e) => e.event === "start").map((e) => e.inst));
    const stopped = new Set(run.events().filter((e) => e.event === "stop").map((e) => e.inst));
    assert.deepEqual([...started].filter((i) => !stopped.has(i)), []);
    await assertNothingLeft(run);
  });

  Deno.test(`ProcessLauncher SIGINT during a graceful stop kills hung ${c.isolation} workers and exits 1 at once (${c.backend})`, async () => {
    await using run = await Run.start(plan(c, { service: { mode: "hang-stop" } }));
    await run.waitEvents("start", 2);
    run.kill("SIGTERM");
    await run.waitEvents("stop", 2);
    const t0 = performance.now();
    run.kill("SIGINT");
    const out = await run.exit();
    assert.equal(out.code, 1, out.stderr);
    // Not the 60 s graceful timeout.
    assert.ok(performance.now() - t0 < 10_000);
    await assertNothingLeft(run);
  });

  Deno.test(`ProcessLauncher reports a bad ServiceRef before starting ${c.isolation} workers (${c.backend})`, async () => {
    for (const exp of ["nope", "notAService"]) {
      await using run = await Run.start(plan(c, { export: exp }));
      const out = await run.exit();
      assert.equal(out.code, 99, out.stderr);
      assert.match(
        out.stdout,
        new RegExp(`REJECTED ServiceNotFoundError: .*'${exp}'.*marker_service\\.ts`),
      );
      assert.equal(run.events().length, 0);
    }
  });

  Deno.test(`ProcessLauncher stops cleanly on SIGTERM during ${c.isolation} worker start-up (${c.backend})`, async () => {
    await using run = await Run.start(plan(c, { service: { startDelay: 800 } }));
    await waitFor(() => run.stdout.includes("LAUNCHED"), "the launch");
    run.kill("SIGTERM");
    const out = await run.exit();
    assert.equal(out.code, 0, out.stderr);
    await assertNothingLeft(run);
  });
}

Deno.test("ProcessLauncher respawns a SIGKILLed worker process with the same workerId", async () => {
  await using run = await Run.start(plan(DEFAULTS[1]!));
  await run.waitEvents("start", 2);
  const victim = run.events().find((e) => e.workerId === 1)!;
  Deno.kill(victim.pid, "SIGKILL");
  await run.waitEvents("start", 3);
  const again = run.events().filter((e) => e.event === "start").at(-1)!;
  assert.equal(again.workerId, 1);
  assert.notEqual(again.pid, victim.pid);
  await waitFor(() => run.output.includes("killed by signal SIGKILL"), "the logged reason");
  run.kill("SIGTERM");
  assert.equal((await run.exit()).code, 0);
  await assertNothingLeft(run);
});

Deno.test("ProcessLauncher SIGKILLs a worker process frozen with SIGSTOP at graceful_shutdown_timeout: SIGTERM exits 1, SIGHUP replaces it", async () => {
  // A stopped process acts on nothing (neither its stop command nor SIGTERM) until SIGCONT:
  // only the kill at the timeout can end it.
  const freeze = async (run: Run): Promise<ServiceEvent> => {
    await run.waitEvents("start", 2);
    const frozen = run.events().find((e) => e.event === "start" && e.workerId === 0)!;
    Deno.kill(frozen.pid, "SIGSTOP");
    return frozen;
  };
  const frozenPids: number[] = [];
  try {
    await Promise.all([
      (async () => {
        const dir = await Deno.makeTempDir({ prefix: "fjord-launcher-" });
        await Deno.writeTextFile(`${dir}/svc.conf`, "[DEFAULT]\ngraceful_shutdown_timeout = 1\n");
        await using run = await Run.start(
          plan(DEFAULTS[1]!, { configFile: `${dir}/svc.conf` }),
          { dir },
        );
        frozenPids.push((await freeze(run)).pid);
        const t0 = performance.now();
        run.kill("SIGTERM");
        const out = await run.exit();
        assert.equal(out.code, 1, out.stderr);
        assert.ok(performance.now() - t0 < 10_000, "within the 1 s timeout (plus start-up slack)");
        assert.match(out.stderr, /Graceful shutdown timeout exceeded/);
        await assertNothingLeft(run);
      })(),
      (async () => {
        const dir = await Deno.makeTempDir({ prefix: "fjord-launcher-" });
        await Deno.writeTextFile(`${dir}/svc.conf`, "[DEFAULT]\ngraceful_shutdown_timeout = 1\n");
        await using run = await Run.start(
          plan(DEFAULTS[1]!, { configFile: `${dir}/svc.conf` }),
          { dir },
        );
        const frozen = await freeze(run);
        frozenPids.push(frozen.pid);
        run.kill("SIGHUP");
        await run.waitEvents("start", 4);
        await waitFor(
          async () => (await alivePids([frozen.pid])).length === 0,
          "the frozen one's end",
        );
        // Replaced once, never respawned as a crash: a deliberate kill is not a death.
        const starts = run.events().filter((e) => e.event === "start");
        assert.deepEqual(starts.map((e) => e.workerId).sort(), [0, 0, 1, 1]);
        run.kill("SIGTERM");
        const out = await run.exit();
        assert.equal(out.code, 0, out.stderr);
        assert.doesNotMatch(out.stderr, /respawn/);
        await assertNothingLeft(run);
      })(),
    ]);
  } finally {
    for (const pid of await alivePids(frozenPids)) Deno.kill(pid, "SIGKILL");
  }
});

Deno.test("ProcessLauncher reload: a replacement that never starts is killed at graceful_shutdown_timeout, the old worker keeps serving, and the next SIGHUP reloads", async () => {
  await Promise.all(DEFAULTS.map(async (combo) => {
    const dir = await Deno.makeTempDir({ prefix: "fjord-launcher-" });
    await Deno.writeTextFile(`${dir}/svc.conf`, "[DEFAULT]\ngraceful_shutdown_timeout = 1\n");
    await using run = await Run.start(
      plan(combo, { configFile: `${dir}/svc.conf`, service: { mode: "hang-start-marked" } }),
      { dir },
    );
    await run.waitEvents("start", 2);
    const first = run.events().filter((e) => e.event === "start");
    await Deno.writeTextFile(`${dir}/hang-start`, "");
    run.kill("SIGHUP");
    // Both replacements hang in start(); each is given up on after 1 s.
    await waitFor(
      () => (run.output.match(/has not started within 1000 ms/g) ?? []).length === 2,
      "both replacements given up on",
    );
    assert.equal(run.count("start-hangs"), 2);
    assert.equal(run.count("stop"), 0, "the old workers were not stopped");
    await Deno.remove(`${dir}/hang-start`);
    // The reload is over, so the next SIGHUP replaces both workers.
    run.kill("SIGHUP");
    await run.waitEvents("start", 4);
    await run.waitEvents("stop", 2);
    const stopped = run.events().filter((e) => e.event === "stop").map((e) => e.inst).sort();
    assert.deepEqual(stopped, first.map((e) => e.inst).sort(), "the old ones stopped then");
    run.kill("SIGTERM");
    const out = await run.exit();
    assert.equal(out.code, 0, out.stderr);
    if (combo.isolation === "process") await assertNothingLeft(run);
  }));
});

Deno.test("ProcessLauncher reload: a replacement whose start() throws is logged with that error, and the old worker keeps serving", async () => {
  await Promise.all(DEFAULTS.map(async (combo) => {
    await using run = await Run.start(plan(combo, { service: { mode: "hang-start-marked" } }));
    await run.waitEvents("start", 2);
    await Deno.writeTextFile(`${run.dir}/throw-start`, "");
    run.kill("SIGHUP");
    await waitFor(
      () => (run.output.match(/failed to start; keeping the old one/g) ?? []).length === 2,
      "both replacements failed",
    );
    // Before, the log said it failed, not why.
    assert.equal((run.output.match(/start failed on purpose \(marked\)/g) ?? []).length, 2);
    assert.equal(run.count("stop"), 0, "the old workers were not stopped");
    run.kill("SIGTERM");
    const out = await run.exit();
    assert.equal(out.code, 0, out.stderr);
  }));
});

Deno.test("ProcessLauncher respawns a Web Worker that threw, and a child that exited", async () => {
  await Promise.all([
    (async () => {
      await using run = await Run.start(plan(DEFAULTS[0]!, { service: { mode: "throw-later" } }));
      await run.waitEvents("start", 4);
      const starts = run.events().filter((e) => e.event === "start");
      assert.deepEqual(starts.map((e) => e.workerId).sort(), [0, 0, 1, 1]);
      await waitFor(() => run.output.includes("thrown later on purpose"), "the logged reason");
      run.kill("SIGTERM");
      assert.equal((await run.exit()).code, 0);
    })(),
    (async () => {
      await using run = await Run.start(plan(DEFAULTS[1]!, { service: { mode: "exit-later" } }));
      await run.waitEvents("start", 4);
      await waitFor(() => run.output.includes("exited with status 3"), "the logged reason");
      run.kill("SIGTERM");
      assert.equal((await run.exit()).code, 0);
      await assertNothingLeft(run);
    })(),
  ]);
});

Deno.test("ProcessLauncher respawns a worker whose wait() threw", async () => {
  await using run = await Run.start(
    plan(DEFAULTS[1]!, { workers: 1, service: { mode: "wait-throws" } }),
  );
  await run.waitEvents("start", 2);
  await waitFor(
    () => run.output.includes("wait() failed: Error: wait failed on purpose"),
    "the reason",
  );
  assert.match(run.output, /Starting 1 worker\n/);
  run.kill("SIGTERM");
  assert.equal((await run.exit()).code, 0);
});

Deno.test("ProcessLauncher children stop when the parent is SIGKILLed", async () => {
  await using run = await Run.start(plan(DEFAULTS[1]!));
  await run.waitEvents("start", 2);
  const pids = run.events().map((e) => e.pid);
  run.kill("SIGKILL");
  await run.exit();
  const t0 = performance.now();
  await waitFor(
    async () => (await alivePids(pids)).length === 0,
    "orphaned workers to exit",
    2_000,
  );
  assert.ok(performance.now() - t0 < 2_000);
  await run.waitEvents("stop", 2, 2_000);
});

Deno.test("ProcessLauncher children of a SIGKILLed parent drain gracefully with a graceful_shutdown_timeout past setTimeout's limit (~24.8 days)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fjord-launcher-" });
  await Deno.writeTextFile(`${dir}/svc.conf`, "[DEFAULT]\ngraceful_shutdown_timeout = 2200000\n");
  await using run = await Run.start(
    plan(DEFAULTS[1]!, { configFile: `${dir}/svc.conf`, service: { stopDelay: 300 } }),
    { dir },
  );
  await run.waitEvents("start", 2);
  run.kill("SIGKILL");
  await run.exit();
  // Before, the bound overflowed setTimeout, which fired at once: exit(1) before the drain.
  await run.waitEvents("stop-done", 2, 5_000);
});

Deno.test("ProcessLauncher holds a flooding worker's output back while its own stdout is not read, instead of buffering it without bound", async () => {
  const fixture = new URL("./_fixtures/flood_launcher.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", fixture],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let last = 0;
  const reading = (async () => {
    let text = "";
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      for (const m of text.matchAll(/^RSS (\d+)$/gm)) last = Number(m[1]);
      text = text.slice(text.lastIndexOf("\n") + 1);
    }
  })();
  const rss = async (): Promise<number> => {
    await new Promise((r) => setTimeout(r, 300)); // a report after now
    return last;
  };
  try {
    // Nobody reads its stdout for 3 s, then 2 s more: the worker writes ~64 MB/s meanwhile.
    await new Promise((r) => setTimeout(r, 3_000));
    const before = await rss();
    await new Promise((r) => setTimeout(r, 2_000));
    const growth = await rss() - before;
    // Before: +20-30 MB a second.
    assert.ok(growth < 15_000_000, `the launcher grew ${growth} bytes in 2 s`);
  } finally {
    // Read (and drop) what it writes from now on, so that it can stop.
    const draining = child.stdout.pipeTo(new WritableStream());
    child.kill("SIGTERM");
    await child.status;
    await Promise.all([draining.catch(() => {}), reading]);
  }
});

Deno.test("ProcessLauncher's orphan reaper (a /bin/sh beside the worker processes) exits with the launcher", async () => {
  await using run = await Run.start(plan(DEFAULTS[1]!));
  await run.waitEvents("start", 2);
  const reaper = await reaperOf(run.child.pid);
  assert.ok(reaper !== undefined, "no orphan reaper beside the workers");
  run.kill("SIGTERM");
  assert.equal((await run.exit()).code, 0);
  await waitFor(async () => (await alivePids([reaper])).length === 0, "the reaper's exit", 3_000);
  await assertNothingLeft(run);
});

Deno.test("ProcessLauncher worker process stuck in a synchronous loop is SIGKILLed after graceful_shutdown_timeout when the parent is SIGKILLed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fjord-launcher-" });
  await Deno.writeTextFile(`${dir}/svc.conf`, "[DEFAULT]\ngraceful_shutdown_timeout = 1\n");
  await using run = await Run.start(
    plan(DEFAULTS[1]!, { configFile: `${dir}/svc.conf`, service: { endBy: "spin" } }),
    { dir },
  );
  await run.waitEvents("start", 2);
  const spinning = run.events().find((e) => e.workerId === 0)!;
  const responsive = run.events().find((e) => e.workerId === 1)!;
  const reaper = await reaperOf(run.child.pid);
  assert.ok(reaper !== undefined, "no orphan reaper beside the workers");
  await Deno.writeTextFile(`${dir}/end-0`, "");
  await run.waitEvents("ending", 1);
  run.kill("SIGKILL");
  // Not run.exit(): the stuck worker holds the launcher's stderr open.
  await run.child.status;
  const t0 = performance.now();
  try {
    // The responsive one obeys its stdin's end at once, as before.
    await run.waitEvents("stop", 1, 5_000);
    assert.equal(run.events().find((e) => e.event === "stop")!.workerId, responsive.workerId);
    // The stuck one cannot: it is killed once its 1 s graceful window (and a margin) is over.
    await waitFor(
      async () => (await alivePids([spinning.pid])).length === 0,
      "the stuck orphan's end",
      15_000,
    );
    // Killed 2 s after the parent's death (1 s window + 1 s margin): not within the window.
    assert.ok(performance.now() - t0 >= 1_500, "killed within its graceful window");
    await waitFor(async () => (await alivePids([reaper])).length === 0, "the reaper's exit");
  } finally {
    try {
      Deno.kill(spinning.pid, "SIGKILL");
    } catch {
      // Gone, as it should be.
    }
  }
});

Deno.test("ProcessLauncher children whose parent dies during start() still stop gracefully", async () => {
  await using run = await Run.start(
    plan(DEFAULTS[1]!, { service: { startDelay: 3_000, logStarting: true } }),
  );
  // In start(): a child whose parent dies while it still loads the module ends at once.
  await run.waitEvents("starting", 2);
  const pids = await childrenOf(run.child.pid);
  assert.equal(pids.length, 2);
  run.kill("SIGKILL");
  await run.exit();
  // Each child reports "started" into a closed pipe, then obeys its stdin's EOF.
  await run.waitEvents("stop", 2);
  assert.equal(run.count("start"), 2);
  assert.ok(run.events().every((e) => e.event !== "stop" || e.extra === "graceful=true"));
  await waitFor(async () => (await alivePids(pids)).length === 0, "the children to exit");
});

Deno.test("ProcessLauncher SIGHUP with mutate reaches the standby worker too", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fjord-launcher-" });
  const file = `${dir}/svc.conf`;
  await Deno.writeTextFile(file, "[DEFAULT]\ngraceful_shutdown_timeout = 5\n");
  await using run = await Run.start(
    plan(DEFAULTS[1]!, { workers: 1, standby: true, restartMethod: "mutate", configFile: file }),
    { dir },
  );
  await run.waitEvents("start", 1);
  // The standby is the launcher's second child.
  await waitFor(async () => (await childrenOf(run.child.pid)).length === 2, "the standby");
  await Deno.writeTextFile(file, "[DEFAULT]\ngraceful_shutdown_timeout = 7\n");
  run.kill("SIGHUP");
  await run.waitEvents("reset", 1);
  Deno.kill(run.events()[0]!.pid, "SIGKILL");
  await run.waitEvents("start", 2);
  assert.deepEqual(
    run.events().filter((e) => e.event === "start").map((e) => e.extra),
    ["timeout=5", "timeout=7"],
  );
  run.kill("SIGTERM");
  assert.equal((await run.exit()).code, 0);
  await assertNothingLeft(run);
});

Deno.test("ProcessLauncher replaces a standby worker process that was killed, and logs it", async () => {
  await using run = await Run.start(plan(DEFAULTS[1]!, { workers: 1, standby: true }));
  await run.waitEvents("start", 1);
  const worker = run.events()[0]!.pid;
  await waitFor(async () => (await childrenOf(run.child.pid)).length === 2, "the standby");
  const standby = (await childrenOf(run.child.pid)).find((pid) => pid !== worker)!;
  Deno.kill(standby, "SIGKILL");
  // Before, it was never replaced (nor logged): one child from then on.
  await waitFor(
    () => /The standby worker of \w+ died: .*SIGKILL.*; starting another/.test(run.output),
    "the log",
  );
  await waitFor(async () => {
    const children = await childrenOf(run.child.pid);
    return children.length === 2 && !children.includes(standby);
  }, "a new standby");
  run.kill("SIGTERM");
  assert.equal((await run.exit()).code, 0);
  await assertNothingLeft(run);
});

Deno.test("ProcessLauncher promotes a standby worker on a death", async () => {
  for (const c of DEFAULTS) {
    // (Deno.exit() in a Web Worker ends it without any event its parent could see.)
    const mode = c.isolation === "worker" ? "throw-later" : "exit-later";
    await using run = await Run.start(plan(c, { standby: true, service: { mode } }));
    await run.waitEvents("start", 4);
    await waitFor(() => /respawned/.test(run.output), "the logged deaths");
    run.kill("SIGTERM");
    assert.equal((await run.exit()).code, 0);
    await assertNothingLeft(run);
  }
});

Deno.test("ProcessLauncher without --allow-run names the flag for process isolation", async () => {
  await using run = await Run.start(plan(DEFAULTS[1]!), {
    flags: ["--allow-read", "--allow-write", "--allow-env"],
  });
  const out = await run.exit();
  assert.notEqual(out.code, 0);
  assert.match(out.stderr, /--allow-run/);
  assert.equal(run.events().length, 0);
});

Deno.test("ProcessLauncher noFork runs the service in this process with the same signals", async () => {
  await using run = await Run.start(plan(DEFAULTS[1]!, { noFork: true, instance: true }));
  await run.waitEvents("start", 1);
  assert.equal(run.events()[0]!.pid, run.child.pid);
  run.kill("SIGTERM");
  assert.equal((await run.exit()).code, 0);
  assert.equal(run.count("stop"), 1);
});

Deno.test("ProcessLauncher.launchService() rejects instances and bad worker counts", () => {
  resetBackend();
  try {
    const launcher = new ProcessLauncher(undefined, { isolation: "worker" });
    assert.throws(() => launcher.launchService(new Service()), TypeError);
    assert.throws(() => launcher.launchService({ module: SERVICE }, { workers: 0 }), RangeError);
    assert.throws(() => launcher.launchService({ module: SERVICE }, { workers: 1.5 }), TypeError);
    assert.throws(() => launcher.launchService({ module: "./relative.ts" }), TypeError);
    assert.throws(
      () => new ProcessLauncher(undefined, { isolation: "thread" as "worker" }),
      TypeError,
    );
    assert.throws(
      () => new ProcessLauncher(undefined, { restartMethod: "x" as "reload" }),
      TypeError,
    );
    assert.deepEqual(launcher.workers, []);
  } finally {
    resetBackend();
  }
});

Deno.test("ProcessLauncher.launchService() refuses args a worker would not get as given: a TypeError naming the first, nothing started", async () => {
  resetBackend();
  try {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    // Before: a process worker got {} for a Map, a string for a Date, null for undefined or
    // NaN; a BigInt, a function or a cycle failed only once the worker was spawned.
    for (
      const [arg, what] of [
        [new Map([[1, 2]]), "args[0] is an instance of Map"],
        [{ when: new Date(0) }, "args[0].when is an instance of Date"],
        [[1, undefined], "args[0][1] is undefined"],
        [{ n: Number.NaN }, "args[0].n is number NaN"],
        [10n, "args[0] is bigint 10"],
        [circular, "args[0].self is a circular reference"],
      ] as const
    ) {
      const launcher = new ProcessLauncher(undefined, { isolation: "process" });
      assert.throws(() => launcher.launchService({ module: SERVICE, args: [arg] }), {
        name: "TypeError",
        message:
          `Cannot launch service as its 'args' must be JSON-safe for process isolation (plain objects, arrays, strings, finite numbers, booleans, null): ${what}`,
      });
      assert.deepEqual(launcher.workers, []);
      await launcher.stop();
    }
    const launcher = new ProcessLauncher(undefined, { isolation: "worker" });
    assert.throws(() => launcher.launchService({ module: SERVICE, args: [() => 1] }), {
      name: "TypeError",
      message: /cannot be sent to a Web Worker/,
    });
    await launcher.stop();
  } finally {
    resetBackend();
  }
});

for (const isolation of ["worker", "process"] as const) {
  Deno.test(`ProcessLauncher.workers reports ids, pids, restarts and states; stop() leaves nothing (${isolation})`, async () => {
    resetBackend();
    const dir = await Deno.makeTempDir({ prefix: "fjord-launcher-" });
    try {
      const launcher = new ProcessLauncher(undefined, { isolation });
      launcher.launchService(
        { module: SERVICE, export: "factory", args: [{ dir }] },
        { workers: 2 },
      );
      const read = (): ServiceEvent[] => {
        try {
          return Deno.readTextFileSync(`${dir}/events.log`).trim().split("\n").map((l) => {
            const [event, id, pid] = l.split(" ");
            return {
              event: event!,
              workerId: Number(id),
              pid: Number(pid),
              t: 0,
              inst: "",
              extra: "",
            };
          });
        } catch {
          return [];
        }
      };
      await waitFor(
        () => launcher.workers.every((w) => w.state === "running") && read().length === 2,
        "2 running workers",
      );
      const infos = launcher.workers;
      assert.deepEqual(infos.map((w) => w.workerId), [0, 1]);
      assert.deepEqual(infos.map((w) => w.restarts), [0, 0]);
      if (isolation === "process") {
        assert.deepEqual(new Set(infos.map((w) => w.pid)), new Set(read().map((e) => e.pid)));
      } else {
        assert.deepEqual(infos.map((w) => w.pid), [undefined, undefined]);
      }
      const stopping = launcher.stop();
      assert.equal(launcher.stop(), stopping);
      await stopping;
      assert.equal(await launcher.wait(), 0);
      assert.equal(await launcher.wait(), 0);
      assert.deepEqual(launcher.workers.map((w) => w.state), ["stopped", "stopped"]);
      if (isolation === "process") assert.deepEqual(await alivePids(infos.map((w) => w.pid!)), []);
    } finally {
      resetBackend();
      await Deno.remove(dir, { recursive: true });
    }
  });
}

function readEvents(dir: string): ServiceEvent[] {
  try {
    return Deno.readTextFileSync(`${dir}/events.log`).trim().split("\n").map((l) => {
      const [event, id, pid] = l.split(" ");
      return { event: event!, workerId: Number(id), pid: Number(pid), t: 0, inst: "", extra: "" };
    });
  } catch {
    return [];
  }
}

Deno.test("ProcessLauncher restarts a dying worker at once, then after a growing back-off, then gives up", async () => {
  resetBackend();
  const dir = await Deno.makeTempDir({ prefix: "fjord-launcher-" });
  try {
    // Disposing the clock throws if a back-off sleep were still pending.
    using clock = new FakeClock();
    const launcher = new ProcessLauncher(undefined, {
      isolation: "worker",
      clock,
      restart: { maxRestarts: 3, window: 1_000, backoff: { initial: 100, factor: 3, max: 250 } },
    });
    launcher.launchService(
      { module: SERVICE, export: "factory", args: [{ dir, mode: "start-throws" }] },
      { workers: 1 },
    );
    const waiting = launcher.wait();
    // The first restart is immediate: two failed starts, then the back-off sleep.
    await waitFor(() => clock.pending === 1, "the first back-off sleep");
    assert.equal(readEvents(dir).length, 2);
    assert.equal(launcher.workers[0]?.state, "restarting");
    assert.equal(launcher.workers[0]?.restarts, 2);
    await clock.tickAsync(99);
    assert.equal(readEvents(dir).length, 2);
    await clock.tickAsync(1); // 100 ms
    await waitFor(() => clock.pending === 1 && readEvents(dir).length === 3, "the 2nd back-off");
    await clock.tickAsync(250); // min(100 × 3, 250)
    await waitFor(() => readEvents(dir).length === 4, "the 4th start");
    // The 4th death would be the 4th restart within 1 s: give up.
    assert.equal(await waiting, 2);
    assert.equal(clock.pending, 0);
    assert.deepEqual(launcher.workers.map((w) => w.state), ["stopped"]);
    assert.equal(launcher.workers[0]?.restarts, 3);
  } finally {
    resetBackend();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ProcessLauncher with backoff { initial: 0, factor: Infinity } restarts at once until the intensity is exceeded", async () => {
  resetBackend();
  const dir = await Deno.makeTempDir({ prefix: "fjord-launcher-" });
  try {
    const launcher = new ProcessLauncher(undefined, {
      isolation: "worker",
      restart: { maxRestarts: 3, window: 60_000, backoff: { initial: 0, factor: Infinity } },
    });
    launcher.launchService(
      { module: SERVICE, export: "factory", args: [{ dir, mode: "start-throws" }] },
      { workers: 1 },
    );
    // 0 × Infinity was a NaN delay at the third death: the launcher failed with a TypeError
    // from the sleep instead of restarting.
    assert.equal(await launcher.wait(), 2);
    assert.equal(readEvents(dir).length, 4);
    assert.equal(launcher.workers[0]?.restarts, 3);
  } finally {
    resetBackend();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ProcessLauncher forgets restarts older than the window", async () => {
  resetBackend();
  const dir = await Deno.makeTempDir({ prefix: "fjord-launcher-" });
  try {
    using clock = new FakeClock();
    const launcher = new ProcessLauncher(undefined, {
      isolation: "worker",
      clock,
      restart: { maxRestarts: 1, window: 1_000 },
    });
    launcher.launchService(
      { module: SERVICE, export: "factory", args: [{ dir, endBy: "throw" }] },
      { workers: 1 },
    );
    const starts = (): number => readEvents(dir).filter((e) => e.event === "start").length;
    for (let i = 1; i <= 3; i++) {
      await waitFor(() => starts() === i && launcher.workers[0]?.state === "running", "a start");
      Deno.writeTextFileSync(`${dir}/end-0`, "");
      // Each death is the only one within its window: restarted at once, never given up.
      await waitFor(() => starts() === i + 1, `restart ${i}`);
      await clock.tickAsync(1_000);
    }
    assert.equal(clock.pending, 0);
    assert.equal(launcher.workers[0]?.restarts, 3);
    await launcher.stop();
    assert.equal(await launcher.wait(), 0);
  } finally {
    resetBackend();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ProcessLauncher.stop() during a restart back-off ends it and spawns no more", async () => {
  resetBackend();
  const dir = await Deno.makeTempDir({ prefix: "fjord-launcher-" });
  try {
    using clock = new FakeClock();
    const launcher = new ProcessLauncher(undefined, { isolation: "worker", clock });
    launcher.launchService(
      { module: SERVICE, export: "factory", args: [{ dir, mode: "start-throws" }] },
      { workers: 1 },
    );
    // The clock never moves: the second restart waits on it.
    await waitFor(() => clock.pending === 1, "the back-off sleep");
    const failures = readEvents(dir).length;
    assert.equal(failures, 2);
    const waiting = launcher.wait();
    await launcher.stop();
    assert.equal(await waiting, 0);
    assert.equal(clock.pending, 0);
    assert.equal(readEvents(dir).length, failures);
    assert.deepEqual(launcher.workers.map((w) => w.state), ["stopped"]);
  } finally {
    resetBackend();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ProcessLauncher.restart() twice in a row replaces each worker twice; stop() during a reload leaves nothing", async () => {
  resetBackend();
  const dir = await Deno.makeTempDir({ prefix: "fjord-launcher-" });
  try {
    const launcher = new ProcessLauncher(undefined, { isolation: "process" });
    launcher.launchService({ module: SERVICE, export: "factory", args: [{ dir }] }, {
      workers: 2,
    });
    const running = (): boolean => launcher.workers.every((w) => w.state === "running");
    await waitFor(() => running() && readEvents(dir).length === 2, "2 running workers");
    const first = launcher.workers.map((w) => w.pid!);
    const a = launcher.restart();
    const b = launcher.restart();
    await Promise.all([a, b]);
    const starts = readEvents(dir).filter((e) => e.event === "start");
    assert.equal(starts.length, 6);
    // One reload after the other, one worker at a time.
    assert.deepEqual(starts.slice(2).map((e) => e.workerId), [0, 1, 0, 1]);
    assert.equal(readEvents(dir).filter((e) => e.event === "stop").length, 4);
    assert.ok(running());
    const now = launcher.workers.map((w) => w.pid!);
    assert.ok(now.every((pid) => !first.includes(pid)));
    assert.deepEqual(await alivePids(first), []);
    // A reload that stop() interrupts adds no worker and leaves no process behind.
    const reload = launcher.restart();
    await launcher.stop();
    await reload;
    assert.equal(await launcher.wait(), 0);
    assert.deepEqual(launcher.workers.map((w) => w.state), ["stopped", "stopped"]);
    const pids = new Set(readEvents(dir).map((e) => e.pid));
    assert.deepEqual(await alivePids(pids), []);
  } finally {
    resetBackend();
    await Deno.remove(dir, { recursive: true });
  }
});

for (const isolation of ["process", "worker"] as const) {
  Deno.test(
    `ProcessLauncher (${isolation}) creates no timer in the parent to launch or to respawn a worker`,
    async () => {
      // A process's first setTimeout costs Deno several ms, which a respawn would wait for.
      await using run = await Run.start({
        backend: "cooperative",
        launcher: "process",
        isolation,
        workers: 2,
        traceTimers: true,
        service: { endBy: "throw" },
      });
      await run.waitEvents("start", 2);
      if (isolation === "process") {
        Deno.kill(run.events().find((e) => e.workerId === 1)!.pid, "SIGKILL");
      } else {
        await Deno.writeTextFile(`${run.dir}/end-1`, "");
      }
      await run.waitEvents("start", 3);
      await waitFor(() => run.output.includes("respawned at once"), "the logged death");
      assert.doesNotMatch(run.stdout, /TIMER/);
      assert.match(run.output, /Starting 2 workers\n/);
      run.kill("SIGTERM");
      assert.equal((await run.exit()).code, 0);
      await assertNothingLeft(run);
    },
  );
}

Deno.test("ProcessLauncher.launchService() after stop() is an InvalidStateError", async () => {
  resetBackend();
  try {
    const launcher = new ProcessLauncher(undefined, { isolation: "worker" });
    await launcher.stop();
    assert.throws(() => launcher.launchService({ module: SERVICE }), {
      name: "InvalidStateError",
      message: /^Cannot launch service as the launcher is stop/,
    });
  } finally {
    resetBackend();
  }
});

Deno.test("ProcessLauncher process workers may read their service module's directory (its relative imports)", async () => {
  // A parent without unscoped --allow-read gave its children read access to the service module
  // file alone: the module's own `import "./helper.ts"` failed in every child, a crash loop.
  const dir = new URL("./_fixtures/sibling/", import.meta.url).pathname;
  const repo = new URL("../../", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-run", `--allow-read=${dir},${repo}`, `${dir}main.ts`],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  let out = "";
  for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
    out += chunk;
    if (out.includes("hello from the sibling module")) child.kill("SIGTERM");
  }
  const status = await child.status;
  assert.match(out, /hello from the sibling module/, await stderr);
  assert.equal(status.code, 0, await stderr);
});
