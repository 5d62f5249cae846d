import assert from "node:assert/strict";
import { launch, ProcessLauncher, resetBackend, Service, ServiceLauncher } from "@fjord/fjord";
import { Run, SERVICE, waitFor } from "./_launcher_helpers.ts";

Deno.test("launch() picks ServiceLauncher for 1 or no workers", async () => {
  for (const options of [{}, { workers: 1 }]) {
    const launcher = launch(undefined, new Service(), options);
    assert.ok(launcher instanceof ServiceLauncher);
    await launcher.stop();
    assert.equal(await launcher.wait(), 0);
  }
});

Deno.test("launch() picks ProcessLauncher for more workers or noFork", async () => {
  resetBackend();
  try {
    const noFork = launch(undefined, new Service(), { noFork: true });
    assert.ok(noFork instanceof ProcessLauncher);
    await noFork.stop();
    assert.equal(await noFork.wait(), 0);
    const dir = await Deno.makeTempDir();
    try {
      const many = launch(undefined, { module: SERVICE, export: "factory", args: [{ dir }] }, {
        workers: 2,
      });
      assert.ok(many instanceof ProcessLauncher);
      await waitFor(
        () => many.workers.length === 2 && many.workers.every((w) => w.state === "running"),
        "2 running workers",
      );
      await many.stop();
      assert.equal(await many.wait(), 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  } finally {
    resetBackend();
  }
});

Deno.test("launch() rejects bad worker counts and instances for forked workers", () => {
  assert.throws(() => launch(undefined, new Service(), { workers: 0 }), RangeError);
  assert.throws(() => launch(undefined, new Service(), { workers: -1 }), RangeError);
  assert.throws(() => launch(undefined, new Service(), { workers: 1.5 }), TypeError);
  assert.throws(
    () => launch(undefined, new Service(), { workers: "2" as unknown as number }),
    TypeError,
  );
  assert.throws(() => launch(undefined, new Service(), { workers: 2 }), /needs a ServiceRef/);
  // `worker: 4` ran one worker, in this process, without a word.
  assert.throws(() => launch(undefined, new Service(), { worker: 4 } as never), {
    name: "TypeError",
    message:
      "Cannot launch as 'options' has the unknown field 'worker' (known: workers, restartMethod, noFork)",
  });
});

Deno.test("launch() and the launchers reject a non-object options, a non-Config conf and non-boolean flags by name", () => {
  const bad = <T>(value: unknown): T => value as T;
  try {
    // Each was "Cannot read properties of null" or "registerOpts is not a function".
    assert.throws(() => launch(undefined, new Service(), bad(null)), {
      name: "TypeError",
      message: /Cannot launch as 'options' must be an object: current value is null/,
    });
    assert.throws(() => new ProcessLauncher(undefined, bad(null)), {
      name: "TypeError",
      message: /'options' must be an object/,
    });
    assert.throws(() => new ServiceLauncher(undefined, bad(null)), {
      name: "TypeError",
      message: /'options' must be an object/,
    });
    assert.throws(
      () =>
        new ProcessLauncher(undefined, { isolation: "worker" }).launchService(
          { module: SERVICE },
          bad(null),
        ),
      { name: "TypeError", message: /Cannot launch service as 'options' must be an object/ },
    );
    for (const conf of [null, {}, "app.conf"]) {
      assert.throws(() => new ProcessLauncher(bad(conf)), {
        name: "TypeError",
        message: /'conf' must be a Config/,
      });
      assert.throws(() => launch(bad(conf), new Service()), {
        name: "TypeError",
        message: /'conf' must be a Config/,
      });
    }
    // A truthy string (say "false" from an environment variable) turned these on.
    assert.throws(() => new ProcessLauncher(undefined, { standby: bad("false") }), {
      name: "TypeError",
      message: /'standby' must be a boolean: current value is string false/,
    });
    assert.throws(() => new ProcessLauncher(undefined, { noFork: bad("false") }), {
      name: "TypeError",
      message: /'noFork' must be a boolean/,
    });
    assert.throws(() => launch(undefined, new Service(), { noFork: bad(1) }), {
      name: "TypeError",
      message: /'noFork' must be a boolean/,
    });
  } finally {
    resetBackend();
  }
});

Deno.test("launch() runs workers in a real program and SIGTERM exits 0 (both backends)", async () => {
  await Promise.all((["threading", "cooperative"] as const).map(async (backend) => {
    await using run = await Run.start({ backend, launcher: "launch", workers: 2 });
    await run.waitEvents("start", 2);
    run.kill("SIGTERM");
    assert.equal((await run.exit()).code, 0);
    assert.equal(run.count("stop"), 2);
  }));
});
