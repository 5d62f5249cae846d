import assert from "node:assert/strict";
import { ProcessLauncher, resetBackend, type RestartPolicy } from "@fjord/fjord";
import { SERVICE, waitFor } from "./_launcher_helpers.ts";

interface Probe {
  status: number;
  body: { state: string; workers: { workerId: number; state: string; restarts: number }[] };
}

async function probe(port: number, path: string): Promise<Probe> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: r.status, body: await r.json() };
}

Deno.test("ProcessLauncher health endpoint: /healthz 200 while running, /readyz 200 only when every worker runs", async () => {
  resetBackend();
  const dir = await Deno.makeTempDir({ prefix: "fjord-launcher-" });
  try {
    const launcher = new ProcessLauncher(undefined, {
      isolation: "worker",
      health: { port: 0 },
      // The second death of a worker waits a minute: it stays "restarting".
      restart: { backoff: { initial: 60_000, max: 60_000 } },
    });
    const port = launcher.healthAddress!.port;
    assert.equal(launcher.healthAddress!.hostname, "127.0.0.1");
    // Before any service: alive, not ready.
    assert.equal((await probe(port, "/healthz")).status, 200);
    assert.equal((await probe(port, "/readyz")).status, 503);
    launcher.launchService(
      { module: SERVICE, export: "factory", args: [{ dir, startDelay: 300, endBy: "throw" }] },
      { workers: 2 },
    );
    const starting = await probe(port, "/readyz");
    assert.equal(starting.status, 503);
    assert.equal(starting.body.state, "running");
    await waitFor(async () => (await probe(port, "/readyz")).status === 200, "readiness");
    const ready = await probe(port, "/readyz");
    assert.deepEqual(ready.body.workers.map((w) => [w.workerId, w.state]), [
      [0, "running"],
      [1, "running"],
    ]);
    // Kill worker 1 twice: restarted at once, then held in the back-off.
    for (let i = 0; i < 2; i++) {
      await waitFor(() => launcher.workers[1]?.state === "running", "worker 1 running");
      Deno.writeTextFileSync(`${dir}/end-1`, "");
      await waitFor(() => launcher.workers[1]?.restarts === i + 1, `death ${i + 1}`);
    }
    const restarting = await probe(port, "/readyz");
    assert.equal(restarting.status, 503);
    assert.equal(restarting.body.workers[1]?.state, "restarting");
    assert.equal((await probe(port, "/healthz")).status, 200);
    const missing = await fetch(`http://127.0.0.1:${port}/nope`);
    await missing.body?.cancel();
    assert.equal(missing.status, 404);
    const waiting = launcher.wait();
    await launcher.stop();
    assert.equal(await waiting, 0);
    // Closed with the launcher.
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`));
  } finally {
    resetBackend();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ProcessLauncher rejects bad health, restart and migrateRequests options by name", () => {
  assert.throws(() => new ProcessLauncher(undefined, { health: { port: -1 } }), {
    name: "RangeError",
    message: /'health\.port'.*-1/,
  });
  assert.throws(
    () => new ProcessLauncher(undefined, { health: { port: "80" as unknown as number } }),
    {
      name: "TypeError",
      message:
        "Cannot create ProcessLauncher as 'health.port' must be an integer within 0..65535: current value is string 80",
    },
  );
  assert.throws(
    () => new ProcessLauncher(undefined, { health: { port: 1, hostname: "" } }),
    { name: "TypeError", message: /'health\.hostname'/ },
  );
  assert.throws(() => new ProcessLauncher(undefined, { restart: { maxRestarts: -1 } }), {
    name: "RangeError",
    message: /restart\.maxRestarts/,
  });
  assert.throws(
    () => new ProcessLauncher(undefined, { restart: { maxRestart: 3 } as RestartPolicy }),
    { name: "TypeError", message: /unknown field 'maxRestart'/ },
  );
  // Misspelt keys kept their defaults silently: `standy` ran without a standby worker and
  // `host` listened on 127.0.0.1.
  assert.throws(() => new ProcessLauncher(undefined, { standy: true } as never), {
    name: "TypeError",
    message: /^Cannot create ProcessLauncher as 'options' has the unknown field 'standy' \(known: /,
  });
  assert.throws(
    () => new ProcessLauncher(undefined, { health: { port: 0, host: "0.0.0.0" } as never }),
    {
      name: "TypeError",
      message: /'health' has the unknown field 'host' \(known: port, hostname\)/,
    },
  );
  assert.throws(
    () => new ProcessLauncher(undefined, { migrateRequests: "yes" as unknown as boolean }),
    { name: "TypeError", message: /'migrateRequests'/ },
  );
});

Deno.test("ProcessLauncher health endpoint with noFork reports the one in-isolate worker", async () => {
  const { Service } = await import("@fjord/fjord");
  resetBackend();
  try {
    const launcher = new ProcessLauncher(undefined, { noFork: true, health: { port: 0 } });
    launcher.launchService(new Service());
    const port = launcher.healthAddress!.port;
    const ready = await probe(port, "/readyz");
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body.workers.map((w) => w.workerId), [0]);
    await launcher.stop();
    assert.equal(await launcher.wait(), 0);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`));
  } finally {
    resetBackend();
  }
});

Deno.test("ProcessLauncher health endpoint: a client that sends part of a request body and goes quiet does not hold up stop()", async () => {
  resetBackend();
  try {
    const launcher = new ProcessLauncher(undefined, { isolation: "worker", health: { port: 0 } });
    const port = launcher.healthAddress!.port;
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      // 2 of the 100 body bytes announced: the handler answers, the body never completes.
      await conn.write(
        new TextEncoder().encode(
          "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab",
        ),
      );
      const buf = new Uint8Array(4096);
      const n = await conn.read(buf);
      assert.match(new TextDecoder().decode(buf.subarray(0, n ?? 0)), /^HTTP\/1\.1 405/);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const hung = new Promise<"hung">((resolve) => {
        timer = setTimeout(() => resolve("hung"), 10_000);
      });
      const stopped = await Promise.race([launcher.stop().then(() => "stopped" as const), hung]);
      clearTimeout(timer);
      assert.equal(stopped, "stopped");
      assert.equal(await launcher.wait(), 0);
      // The endpoint's side of the connection is closed too.
      const after = await conn.read(buf).catch(() => null);
      assert.equal(after, null);
    } finally {
      conn.close();
    }
  } finally {
    resetBackend();
  }
});

Deno.test("ProcessLauncher health endpoint on a taken port fails naming the endpoint and keeps Deno's error class", () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = taken.addr;
  assert.throws(() => new ProcessLauncher(undefined, { health: { port } }), (e: unknown) => {
    assert.ok(e instanceof Deno.errors.AddrInUse, String(e));
    assert.match(
      e.message,
      new RegExp(`^Cannot start the health endpoint on 127\\.0\\.0\\.1:${port}: `),
    );
    return true;
  });
});

Deno.test("ProcessLauncher noFork health endpoint: /readyz is 503 and the worker 'starting' until the service's start() has resolved", async () => {
  const launcher = new ProcessLauncher(undefined, { noFork: true, health: { port: 0 } });
  const { promise: mayStart, resolve: letStart } = Promise.withResolvers<void>();
  const stopped = Promise.withResolvers<void>();
  launcher.launchService({
    start: () => mayStart,
    stop: () => stopped.resolve(),
    wait: () => stopped.promise,
    reset(): void {},
  });
  const waiting = launcher.wait();
  const port = launcher.healthAddress!.port;
  // Before, 200 and "running" at once, start() or not.
  const starting = await probe(port, "/readyz");
  assert.equal(starting.status, 503);
  assert.equal(starting.body.workers[0]!.state, "starting");
  letStart();
  await waitFor(async () => (await probe(port, "/readyz")).status === 200, "readiness");
  assert.equal(launcher.workers[0]!.state, "running");
  await launcher.stop();
  assert.equal(await waiting, 0);
});
