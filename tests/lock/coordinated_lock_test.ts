// lock()/synchronized() with a `coordinator`: in-process lock, then the distributed lock, on
// memory:// and on the real etcd and Redis servers (skipped with a message when none answers
// outside CI), including a holder process SIGKILLed while holding.

import assert from "node:assert/strict";
import { connect, type Coordinator } from "../../coord/mod.ts";
import {
  AcquireLockFailedError,
  lock,
  lockWithPrefix,
  Semaphores,
  synchronized,
} from "../../lock/mod.ts";
import { FakeClock } from "../../runtime/clock.ts";
import { engines, fresh, serverKeys } from "../coord/_servers.ts";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

for (const engine of engines) {
  const ttl = engine.name === "etcd" ? 2_000 : 1_000;
  const opts = { ignore: !engine.available };
  // Each "host" gets its own coordinator and its own in-process registry, as separate processes
  // would; the distributed lock is then the only thing shared.
  const host = async (): Promise<{ coordinator: Coordinator; semaphores: Semaphores }> => ({
    coordinator: await connect(engine.url, { ttl }),
    semaphores: new Semaphores(),
  });

  Deno.test(
    `lock ${engine.name}: a coordinator lock carries increasing fencing tokens and releases its key`,
    opts,
    async () => {
      await using coordinator = await connect(engine.url, { ttl });
      const name = fresh("lock-fence");
      const tokens: bigint[] = [];
      for (let i = 0; i < 3; i++) {
        const held = await lock(name, { coordinator });
        assert.equal(held.name, name);
        assert.equal(typeof held.fencingToken, "bigint");
        assert.equal(held.lost!.aborted, false);
        tokens.push(held.fencingToken!);
        await held.release();
        assert.equal(held.lost!.aborted, true);
        await held.release(); // idempotent
      }
      assert.ok(tokens[0]! < tokens[1]! && tokens[1]! < tokens[2]!, `${tokens}`);
      assert.equal(await serverKeys(engine, name) ?? 0, 0);
      // The in-process lock was released too.
      await using plain = await lock(name, { blocking: false });
      assert.equal(plain.fencingToken, undefined);
      assert.equal(plain.lost, undefined);
    },
  );

  Deno.test(
    `lock ${engine.name}: two hosts with a coordinator never hold the lock at once`,
    opts,
    async () => {
      const hosts = [await host(), await host()];
      const name = fresh("lock-excl");
      let inside = 0;
      let runs = 0;
      const tokens: bigint[] = [];
      try {
        await Promise.all(hosts.flatMap((h) =>
          [0, 1, 2].map(async () => {
            await using held = await lock(name, { ...h, timeout: 30_000 });
            assert.equal(++inside, 1);
            tokens.push(held.fencingToken!);
            await sleep(5);
            inside--;
            runs++;
          })
        ));
      } finally {
        for (const h of hosts) await h.coordinator.close();
      }
      assert.equal(runs, 6);
      for (let i = 1; i < tokens.length; i++) assert.ok(tokens[i]! > tokens[i - 1]!, `${tokens}`);
    },
  );

  Deno.test(
    `lock ${engine.name}: blocking false fails with AcquireLockFailedError and holds nothing`,
    opts,
    async () => {
      const [a, b] = [await host(), await host()];
      const name = fresh("lock-try");
      try {
        const held = await lock(name, a);
        const err = await lock(name, { ...b, blocking: false }).catch((e) => e);
        assert.ok(err instanceof AcquireLockFailedError, String(err));
        assert.equal(err.lockName, name);
        // b's in-process lock was given back, and only a's key is on the server.
        await using local = await lock(name, { semaphores: b.semaphores, blocking: false });
        assert.equal(local.name, name);
        assert.equal(await serverKeys(engine, name) ?? 1, 1);
        await held.release();
      } finally {
        await a.coordinator.close();
        await b.coordinator.close();
      }
    },
  );

  Deno.test(
    `lock ${engine.name}: a timeout or an abort while waiting on the coordinator leaves nothing held or queued`,
    opts,
    async () => {
      const [a, b] = [await host(), await host()];
      const name = fresh("lock-giveup");
      try {
        const held = await lock(name, a);
        const t0 = performance.now();
        await assert.rejects(lock(name, { ...b, timeout: 200 }), { name: "TimeoutError" });
        assert.ok(performance.now() - t0 >= 150);
        const controller = new AbortController();
        const waiting = lock(name, { ...b, signal: controller.signal });
        await sleep(100);
        controller.abort(new Error("shutting down"));
        await assert.rejects(waiting, { message: "shutting down" });
        assert.equal(await serverKeys(engine, name) ?? 1, 1);
        const local = await lock(name, { semaphores: b.semaphores, blocking: false });
        await local.release();
        await held.release();
        assert.equal(await serverKeys(engine, name) ?? 0, 0);
        // tryLock succeeds only when nobody holds or waits: no waiter key was left behind.
        await (await lock(name, { ...b, blocking: false })).release();
        // An already aborted signal rejects before anything is taken.
        await assert.rejects(
          lock(name, { ...b, signal: AbortSignal.abort(new Error("early")) }),
          { message: "early" },
        );
      } finally {
        await a.coordinator.close();
        await b.coordinator.close();
      }
    },
  );

  Deno.test(
    `lock ${engine.name}: synchronized with a coordinator runs one call at a time across hosts`,
    opts,
    async () => {
      const hosts = [await host(), await host()];
      const name = fresh("sync");
      let inside = 0;
      let calls = 0;
      try {
        const fns = hosts.map((h) =>
          synchronized(name, async (x: number) => {
            assert.equal(++inside, 1);
            await sleep(5);
            inside--;
            calls++;
            return x * 2;
          }, h)
        );
        const got = await Promise.all([fns[0]!(1), fns[1]!(2), fns[0]!(3), fns[1]!(4)]);
        assert.deepEqual(got, [2, 4, 6, 8]);
        assert.equal(calls, 4);
        const failing = synchronized(name, () => {
          throw new Error("boom");
        }, hosts[0]!);
        await assert.rejects(failing(), { message: "boom" });
        assert.equal(await serverKeys(engine, name) ?? 0, 0);
      } finally {
        for (const h of hosts) await h.coordinator.close();
      }
    },
  );

  Deno.test(
    `lock ${engine.name}: lockWithPrefix prefixes the distributed lock's name`,
    opts,
    async () => {
      await using coordinator = await connect(engine.url, { ttl });
      await using other = await connect(engine.url, { ttl });
      const name = fresh("pfx");
      await using _held = await lockWithPrefix("nova")(name, { coordinator });
      assert.equal(await other.tryLock(`nova-${name}`), undefined);
      await using free = await other.tryLock(name);
      assert.ok(free !== undefined);
    },
  );
}

Deno.test("lock: coordinator with external, or a coordinator that is not one, is a TypeError at the call", async () => {
  await using coordinator = await connect("memory://lock-args");
  assert.throws(() => lock("x", { coordinator, external: true }), {
    name: "TypeError",
    message: /'external' and 'coordinator' exclude each other/,
  });
  assert.throws(
    () => synchronized("x", () => {}, { coordinator, external: true }),
    TypeError,
  );
  assert.throws(
    () => lock("x", { coordinator: {} as unknown as Coordinator }),
    { name: "TypeError", message: /'coordinator' must be a Coordinator/ },
  );
});

Deno.test("lock: the coordinator step's timeout runs on the lock's clock", async () => {
  using clock = new FakeClock();
  await using a = await connect("memory://lock-clock");
  await using b = await connect("memory://lock-clock");
  const held = await lock("clocked", { coordinator: a, semaphores: new Semaphores() });
  const waiting = lock("clocked", {
    coordinator: b,
    semaphores: new Semaphores(),
    timeout: 1_000,
    clock,
  });
  let settled = false;
  waiting.then(() => settled = true, () => settled = true);
  await clock.tickAsync(999);
  assert.equal(settled, false);
  await clock.tickAsync(1);
  await assert.rejects(waiting, {
    name: "TimeoutError",
    message: 'Timed out after 1000 ms waiting for lock "clocked"',
  });
  await held.release();
  await using again = await lock("clocked", { coordinator: b, blocking: false });
  assert.ok(again.fencingToken! > held.fencingToken!);
});

Deno.test("lock: `using` a coordinator lock starts its release; the next holder gets it", async () => {
  await using coordinator = await connect("memory://lock-using");
  let first: bigint | undefined;
  {
    using held = await lock("using", { coordinator });
    first = held.fencingToken;
  }
  await using next = await lock("using", { coordinator, timeout: 5_000 });
  assert.ok(next.fencingToken! > first!);
});

Deno.test("lock: an abort while queued on the in-process lock behind a coordinator holder leaves nothing held", async () => {
  await using coordinator = await connect("memory://lock-handover");
  const semaphores = new Semaphores();
  const first = await lock("handover", { coordinator, semaphores });
  const controller = new AbortController();
  const waiting = lock("handover", { coordinator, semaphores, signal: controller.signal });
  // The abort lands while the first holder's server key is being removed.
  const released = first.release();
  controller.abort(new Error("late abort"));
  await released;
  await assert.rejects(waiting, { message: "late abort" });
  await using again = await lock("handover", { coordinator, semaphores, blocking: false });
  assert.ok(again.fencingToken! > first.fencingToken!);
});

Deno.test("lock: a coordinator that closed rejects and gives the in-process lock back", async () => {
  const coordinator = await connect("memory://lock-closed");
  await coordinator.close();
  await assert.rejects(lock("closed", { coordinator }), { name: "CoordinatorUnavailableError" });
  await using local = await lock("closed", { blocking: false });
  assert.equal(local.name, "closed");
});

// A real fault: two `deno run` processes contend; the holder is SIGKILLed while holding.
const fixture = new URL("./_fixtures/coordinated_holder.ts", import.meta.url).pathname;

interface Holder {
  lines: string[];
  line(re: RegExp, timeoutMs: number): Promise<string>;
  kill(): Promise<void>;
}

function spawnHolder(url: string, ttl: number, name: string): Holder {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-env",
      "--allow-read",
      fixture,
      url,
      `${ttl}`,
      name,
    ],
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const lines: string[] = [];
  const pump = (async () => {
    let buffered = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        lines.push(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
    }
  })();
  let exited = false;
  const status = child.status.finally(() => exited = true);
  return {
    lines,
    async line(re: RegExp, timeoutMs: number): Promise<string> {
      const deadline = performance.now() + timeoutMs;
      while (true) {
        const found = lines.find((l) => re.test(l));
        if (found !== undefined) return found;
        if (exited) throw new Error(`holder exited without a line matching ${re}: ${lines}`);
        if (performance.now() > deadline) throw new Error(`no line matching ${re}: ${lines}`);
        await sleep(10);
      }
    },
    async kill(): Promise<void> {
      if (!exited) {
        try {
          child.kill("SIGKILL");
        } catch {
          // already gone
        }
      }
      await status;
      await pump;
    },
  };
}

for (const engine of engines.filter((e) => e.name !== "memory")) {
  const ttl = engine.name === "etcd" ? 2_000 : 1_000;
  Deno.test(
    `lock ${engine.name}: a holder process SIGKILLed while holding hands the lock on after the TTL, with a larger token`,
    { ignore: !engine.available },
    async () => {
      const name = fresh("lock-kill");
      const first = spawnHolder(engine.url, ttl, name);
      let second: Holder | undefined;
      try {
        const firstToken = BigInt((await first.line(/^held /, 30_000)).split(" ")[1]!);
        second = spawnHolder(engine.url, ttl, name);
        await second.line(/^waiting/, 30_000);
        await sleep(500);
        assert.equal(second.lines.some((l) => l.startsWith("held")), false);
        const killedAt = performance.now();
        await first.kill();
        const line = await second.line(/^held /, ttl + 10_000);
        const tookOver = performance.now() - killedAt;
        assert.ok(BigInt(line.split(" ")[1]!) > firstToken, `${line} after ${firstToken}`);
        // Not before the dead holder's lease could expire (TTL less one keepalive period,
        // which may have just refreshed it), and well within TTL + margin for a loaded machine.
        assert.ok(tookOver > ttl / 3, `took over after ${tookOver} ms`);
        assert.ok(tookOver < ttl + 5_000, `took over after ${tookOver} ms`);
      } finally {
        await first.kill();
        await second?.kill();
      }
    },
  );
}
