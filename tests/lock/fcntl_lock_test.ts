// fileLockMode "fcntl": record locks that Python's oslo.concurrency (fcntl.lockf) sees, tested
// against real /usr/bin/python3 processes running Debian's python3-oslo.concurrency.
import assert from "node:assert/strict";
import { AcquireLockFailedError, externalLock, lock, setDefaults } from "../../lock/mod.ts";
import { IDLE_MS } from "../../lock/_raw_lock_file.ts";
import { spawnFjordWorker, terminateFjordWorker } from "../../runtime/_fjord_worker.ts";
import { waitFor } from "../_util.ts";

const fixture = (name: string): string => new URL(`./_fixtures/${name}`, import.meta.url).pathname;

interface Child extends AsyncDisposable {
  child: Deno.ChildProcess;
  /** The next stdout line. */
  line(): Promise<string>;
  /** Lines read so far that nobody consumed. */
  peek(): string[];
  /** Writes a line on the child's stdin. */
  send(text: string): Promise<void>;
}

function spawn(cmd: string, args: string[]): Child {
  const child = new Deno.Command(cmd, { args, stdin: "piped", stdout: "piped" }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const writer = child.stdin.getWriter();
  const lines: string[] = [];
  let buffered = "";
  let closed = false;
  let wake: (() => void) | undefined;
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += value;
      let i;
      while ((i = buffered.indexOf("\n")) >= 0) {
        lines.push(buffered.slice(0, i).trim());
        buffered = buffered.slice(i + 1);
      }
      wake?.();
    }
    closed = true;
    wake?.();
  })();
  return {
    child,
    async line(): Promise<string> {
      while (lines.length === 0) {
        if (closed) throw new Error(`${cmd} ${args.join(" ")} closed stdout`);
        await new Promise<void>((r) => wake = r);
      }
      return lines.shift()!;
    },
    peek: () => lines,
    async send(text: string): Promise<void> {
      await writer.write(new TextEncoder().encode(text + "\n"));
    },
    async [Symbol.asyncDispose](): Promise<void> {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already exited.
      }
      await writer.close().catch(() => {});
      await child.status;
      await pump;
    },
  };
}

const python = (mode: string, dir: string, name: string): Child =>
  spawn("/usr/bin/python3", [fixture("oslo_lock.py"), mode, dir, name]);

async function pythonProbe(dir: string, name: string): Promise<string> {
  await using probe = python("probe", dir, name);
  return await probe.line();
}

const fcntl = { fileLockMode: "fcntl" } as const;

for (const wait of ["kernel wait", "polling wait (timeout given)"] as const) {
  Deno.test(`fcntl mode: Deno waits while a Python oslo.concurrency process holds the lock (${wait})`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      await using holder = python("hold", dir, "shared");
      assert.equal(await holder.line(), "held");
      await assert.rejects(
        lock("shared", { external: true, lockPath: dir, blocking: false, ...fcntl }),
        AcquireLockFailedError,
      );
      let acquired = false;
      const waiting = lock("shared", {
        external: true,
        lockPath: dir,
        ...fcntl,
        ...(wait === "kernel wait" ? {} : { timeout: 30_000 }),
      }).then((h) => {
        acquired = true;
        return h;
      });
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(acquired, false, "Deno got the lock while Python held it");
      await holder.send("release");
      assert.equal(await holder.line(), "released");
      const held = await waiting;
      assert.equal(await pythonProbe(dir, "shared"), "busy");
      await held.release();
      assert.equal(await pythonProbe(dir, "shared"), "acquired");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("fcntl mode: a Python oslo.concurrency process waits while Deno holds the lock", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const held = await lock("shared", { external: true, lockPath: dir, ...fcntl });
    assert.equal(await pythonProbe(dir, "shared"), "busy");
    await using waiter = python("wait", dir, "shared");
    assert.equal(await waiter.line(), "waiting");
    await new Promise((r) => setTimeout(r, 400));
    assert.deepEqual(waiter.peek(), [], "Python got the lock while Deno held it");
    await held.release();
    assert.equal(await waiter.line(), "acquired");
    assert.equal((await waiter.child.status).code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fcntl mode: externalLock() FileLock excludes Python too, both directions", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = externalLock("f", { lockPath: dir, ...fcntl });
    assert.equal(await file.acquire(), true);
    assert.equal(await pythonProbe(dir, "f"), "busy");
    await file.release();
    await using holder = python("hold", dir, "f");
    assert.equal(await holder.line(), "held");
    assert.equal(await file.acquire({ blocking: false }), false);
    await assert.rejects(file.acquire({ timeout: 50 }), { name: "TimeoutError" });
    await holder.send("release");
    assert.equal(await file.acquire({ timeout: 10_000 }), true);
    await file.release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("flock mode (the default) does NOT exclude a Python oslo.concurrency process", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Why fileLockMode "fcntl" exists: flock(2) and lockf record locks do not see each other.
    await using _held = await lock("shared", { external: true, lockPath: dir });
    assert.equal(await pythonProbe(dir, "shared"), "acquired");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("setDefaults({fileLockMode: 'fcntl'}) makes external locks Python-compatible", async () => {
  const dir = await Deno.makeTempDir();
  setDefaults({ fileLockMode: "fcntl" });
  try {
    const held = await lock("d", { external: true, lockPath: dir });
    assert.equal(await pythonProbe(dir, "d"), "busy");
    await held.release();
    assert.throws(() => setDefaults({ fileLockMode: "lockf" as "fcntl" }), TypeError);
  } finally {
    setDefaults({ fileLockMode: undefined });
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fcntl mode: a SIGKILLed Deno holder releases within 1 s", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using holder = spawn(Deno.execPath(), [
      "run",
      `--allow-read=${dir}`,
      `--allow-write=${dir}`,
      "--allow-ffi",
      fixture("holder_child.ts"),
      dir,
      "victim",
      "fcntl",
    ]);
    assert.equal(await holder.line(), "held");
    assert.equal(await pythonProbe(dir, "victim"), "busy");
    const waiting = lock("victim", { external: true, lockPath: dir, ...fcntl });
    await new Promise((r) => setTimeout(r, 50));
    const killedAt = performance.now();
    holder.child.kill("SIGKILL");
    const held = await waiting;
    const after = performance.now() - killedAt;
    await held.release();
    assert.ok(after < 1000, `took ${after.toFixed(0)} ms`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** How many of this process's fds name `path` (`ls`: Deno.readDir of /proc needs -A). */
async function fdsOn(path: string): Promise<number> {
  const out = await new Deno.Command("ls", {
    args: ["-l", `/proc/${Deno.pid}/fd`],
    stdout: "piped",
  })
    .output();
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l.endsWith(` -> ${path}`))
    .length;
}

Deno.test("fcntl mode keeps one fd per lock file between acquisitions and closes it when idle", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (let i = 0; i < 50; i++) {
      await (await lock("cached", { external: true, lockPath: dir, ...fcntl })).release();
    }
    assert.equal(await fdsOn(`${dir}/cached`), 1);
    // Idle and unlocked: Python can take it while the fd stays open.
    assert.equal(await pythonProbe(dir, "cached"), "acquired");
    await waitFor(
      async () => await fdsOn(`${dir}/cached`) === 0,
      "the idle fd to close",
      IDLE_MS * 5,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fcntl mode: a lock file deleted and recreated is never held through the stale fd", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await (await lock("re", { external: true, lockPath: dir, ...fcntl })).release();
    assert.equal(await fdsOn(`${dir}/re`), 1);
    // Someone else deletes the file and a Python process locks the new one.
    await Deno.remove(`${dir}/re`);
    await using holder = python("hold", dir, "re");
    assert.equal(await holder.line(), "held");
    await assert.rejects(
      lock("re", { external: true, lockPath: dir, blocking: false, ...fcntl }),
      AcquireLockFailedError,
    );
    await holder.send("release");
    assert.equal(await holder.line(), "released");
    await (await lock("re", { external: true, lockPath: dir, timeout: 10_000, ...fcntl }))
      .release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fcntl mode without --allow-ffi fails with an error naming the flag", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", `--allow-read=${dir}`, `--allow-write=${dir}`, fixture("fcntl_try.ts"), dir],
      stdout: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.match(text, /^NotCapable: .*--allow-ffi/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fileLockMode other than 'flock' or 'fcntl' is a TypeError at the call", () => {
  assert.throws(
    () => lock("x", { external: true, lockPath: "/tmp", fileLockMode: "lockf" as "fcntl" }),
    {
      name: "TypeError",
      message: /'fileLockMode' must be "flock" or "fcntl": current value is string lockf$/,
    },
  );
  assert.throws(
    () => externalLock("x", { lockPath: "/tmp", fileLockMode: 1 as unknown as "fcntl" }),
    TypeError,
  );
});

Deno.test("fcntl mode: a Worker of the same process is excluded by the file lock (OFD locks)", async () => {
  const dir = await Deno.makeTempDir();
  const worker = new Worker(new URL("./_fixtures/fcntl_worker.ts", import.meta.url), {
    type: "module",
  });
  try {
    // Classic record locks belong to the process and would let the Worker in too.
    const file = externalLock("w", { lockPath: dir, ...fcntl });
    assert.equal(await file.acquire(), true);
    const replies: { first?: boolean; later?: boolean }[] = [];
    const got = (n: number): Promise<void> =>
      waitFor(() => replies.length >= n, `${n} worker replies`);
    worker.onmessage = (e) => replies.push(e.data);
    worker.postMessage({ dir });
    await got(1);
    assert.deepEqual(replies[0], { first: false });
    await file.release();
    await got(2);
    assert.deepEqual(replies[1], { later: true });
  } finally {
    worker.terminate();
    await Deno.remove(dir, { recursive: true });
  }
});

function nextMessage(worker: Worker): Promise<unknown> {
  return new Promise((resolve, reject) => {
    worker.onmessage = (e) => resolve(e.data);
    worker.onerror = (e) => {
      e.preventDefault();
      reject(new Error(e.message));
    };
  });
}

Deno.test("fcntl mode: a Worker terminated holding the lock, or waiting for it, leaves no fd and no lock", async () => {
  const dir = await Deno.makeTempDir();
  const entry = new URL("./_fixtures/fcntl_holder_worker.ts", import.meta.url);
  const path = `${dir}/w`;
  const spawn = async (op: "hold" | "wait", reply: string): Promise<Worker> => {
    const worker = spawnFjordWorker(entry, { name: `fcntl ${op}` });
    try {
      assert.equal(await nextMessage(worker), "ready");
      const replied = nextMessage(worker);
      worker.postMessage({ dir, op });
      assert.equal(await replied, reply);
    } catch (err) {
      terminateFjordWorker(worker);
      throw err;
    }
    return worker;
  };
  try {
    // A raw fd is no Deno resource: terminating the Worker alone would leave it open, locked.
    const holder = await spawn("hold", "held");
    try {
      await assert.rejects(
        lock("w", { external: true, lockPath: dir, blocking: false, ...fcntl }),
        AcquireLockFailedError,
      );
    } finally {
      terminateFjordWorker(holder);
    }
    const file = externalLock("w", { lockPath: dir, ...fcntl });
    assert.equal(await file.acquire({ timeout: 5_000 }), true);
    try {
      // A Worker terminated while it polls leaves no open fd behind either.
      const waiter = await spawn("wait", "waiting");
      await waitFor(async () => await fdsOn(path) === 2, "the waiting Worker's fd");
      terminateFjordWorker(waiter);
      await waitFor(async () => await fdsOn(path) === 1, "the terminated Worker's fd closed");
    } finally {
      await file.release();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fcntl mode fails as flock mode does on a lock path through a regular file or to a directory", async () => {
  const base = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${base}/file`, "");
    await Deno.mkdir(`${base}/dir/taken`, { recursive: true });
    // The lock file's directory is a regular file; the lock file is a directory.
    const cases: [string, string][] = [[`${base}/file`, "x"], [`${base}/dir`, "taken"]];
    for (const [lockPath, name] of cases) {
      const fail = (fileLockMode: "flock" | "fcntl"): Promise<unknown> =>
        Promise.resolve()
          .then(() => lock(name, { external: true, lockPath, fileLockMode }))
          .then(() => assert.fail(`${fileLockMode} took a lock at ${lockPath}/${name}`), (e) => e);
      const flock = await fail("flock");
      const fcntl = await fail("fcntl");
      assert.ok(flock instanceof Error && fcntl instanceof Error, `${flock} / ${fcntl}`);
      assert.equal(fcntl.constructor, flock.constructor, `flock: ${flock}; fcntl: ${fcntl}`);
      assert.ok(fcntl.message.includes(`'${lockPath}/${name}'`), fcntl.message);
    }
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
