import assert from "node:assert/strict";
import {
  externalLock,
  lock,
  LockPathRequiredError,
  removeExternalLockFile,
} from "../../lock/mod.ts";
import { IDLE_MS } from "../../lock/_raw_lock_file.ts";
import { waitFor } from "../_util.ts";

const fixture = (name: string): string => new URL(`./_fixtures/${name}`, import.meta.url).pathname;

async function readLine(reader: ReadableStreamDefaultReader<string>): Promise<string> {
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`child closed stdout before a line: ${JSON.stringify(text)}`);
    text += value;
  }
  return text.trim();
}

/** Starts a child process that holds the external lock `name` in `dir` until it is killed. */
async function holdInChild(
  dir: string,
  name: string,
): Promise<{ child: Deno.ChildProcess } & AsyncDisposable> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      `--allow-read=${dir}`,
      `--allow-write=${dir}`,
      fixture("holder_child.ts"),
      dir,
      name,
    ],
    stdout: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const dispose = async (): Promise<void> => {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already dead.
    }
    await child.status;
    await reader.cancel();
  };
  try {
    assert.equal(await readLine(reader), "held");
  } catch (err) {
    await dispose();
    throw err;
  }
  return { child, [Symbol.asyncDispose]: dispose };
}

Deno.test("lock() external excludes 4 real processes, 2 locking through a kept-open fd (--allow-ffi) and 2 through Deno.FsFile: 4 x 300 increments end at exactly 1200", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const counter = `${dir}/counter`;
    await Deno.writeTextFile(counter, "0".repeat(10));
    const children = Array.from({ length: 4 }, (_, i) =>
      new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          `--allow-read=${dir}`,
          `--allow-write=${dir}`,
          ...(i % 2 === 0 ? ["--allow-ffi"] : []),
          fixture("counter_child.ts"),
          `${dir}/locks`,
          counter,
          "300",
        ],
        stdin: "piped",
        stdout: "piped",
      }).spawn());
    const readers = children.map((c) => c.stdout.pipeThrough(new TextDecoderStream()).getReader());
    for (const r of readers) assert.equal(await readLine(r), "ready");
    // Release all four together.
    for (const c of children) {
      const w = c.stdin.getWriter();
      await w.write(new Uint8Array([10]));
      await w.close();
    }
    for (const r of readers) {
      while (!(await r.read()).done) { /* drain */ }
    }
    const statuses = await Promise.all(children.map((c) => c.status));
    assert.deepEqual(statuses.map((s) => s.code), [0, 0, 0, 0]);
    assert.equal(Number(await Deno.readTextFile(counter)), 1200);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

for (const mode of ["blocking wait", "polling wait (timeout given)"] as const) {
  Deno.test(`lock() external: a SIGKILLed holder releases within 1 s (${mode})`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      await using holder = await holdInChild(dir, "victim");
      await assert.rejects(lock("victim", { external: true, lockPath: dir, blocking: false }), {
        name: "AcquireLockFailedError",
      });
      const waiting = lock("victim", {
        external: true,
        lockPath: dir,
        ...(mode === "blocking wait" ? {} : { timeout: 30_000 }),
      });
      // Let the wait start against the held file before the holder dies.
      await new Promise((r) => setTimeout(r, 50));
      const killedAt = performance.now();
      holder.child.kill("SIGKILL");
      const held = await waiting;
      const after = performance.now() - killedAt;
      await held.release();
      assert.ok(after < 1000, `took ${after.toFixed(0)} ms`);
      assert.equal((await holder.child.status).signal, "SIGKILL");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("FileLock.acquire() resolves false with blocking: false while another process holds it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using holder = await holdInChild(dir, "f");
    const file = externalLock("f", { lockPath: dir });
    assert.equal(await file.acquire({ blocking: false }), false);
    assert.equal(file.acquired, false);
    await assert.rejects(file.acquire({ timeout: 30 }), { name: "TimeoutError" });
    assert.equal(file.acquired, false);
    holder.child.kill("SIGKILL");
    await holder.child.status;
    assert.equal(await file.acquire({ timeout: 5000 }), true);
    assert.equal(file.acquired, true);
    await file.release();
    await file.release();
    assert.equal(file.acquired, false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("FileLock: await using releases, and acquiring twice on one FileLock rejects", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const probe = externalLock("u", { lockPath: dir });
    {
      await using file = externalLock("u", { lockPath: dir });
      assert.equal(await file.acquire(), true);
      await assert.rejects(file.acquire(), {
        name: "InvalidStateError",
        message: /already holds it/,
      });
      assert.equal(await probe.acquire({ blocking: false }), false);
    }
    assert.equal(await probe.acquire({ blocking: false }), true);
    await probe.release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("FileLock.acquire() with a non-signal 'signal' throws a TypeError and leaves the lock file free for the next caller", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const holder = externalLock("s", { lockPath: dir });
    assert.equal(await holder.acquire(), true);
    const other = externalLock("s", { lockPath: dir });
    assert.throws(() => other.acquire({ signal: 5 as unknown as AbortSignal }), {
      name: "TypeError",
      message: "Cannot acquire lock as 'signal' must be an AbortSignal: current value is number 5",
    });
    await holder.release();
    assert.equal(await other.acquire({ timeout: 1000 }), true);
    await other.release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("removeExternalLockFile() deletes the file after local holders release, ignores a missing file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const held = await lock("rm/me", { external: true, lockPath: dir, lockFilePrefix: "p" });
    let removed = false;
    const removing = removeExternalLockFile("rm/me", { lockPath: dir, lockFilePrefix: "p" })
      .then(() => removed = true);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(removed, false);
    await Deno.stat(`${dir}/p-rm_me`);
    await held.release();
    await removing;
    await assert.rejects(Deno.stat(`${dir}/p-rm_me`), Deno.errors.NotFound);
    await removeExternalLockFile("rm/me", { lockPath: dir, lockFilePrefix: "p" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("removeExternalLockFile() throws at the call for a bad name or no lock directory", () => {
  // It was an async function: both rejected, against API.md's failing-fast rule.
  assert.throws(() => removeExternalLockFile("", { lockPath: "/tmp" }), TypeError);
  assert.throws(() => removeExternalLockFile("job"), LockPathRequiredError);
});

async function probe(dir: string, name: string): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      `--allow-read=${dir}`,
      `--allow-write=${dir}`,
      fixture("probe_child.ts"),
      dir,
      name,
    ],
    stdout: "piped",
  }).output();
  assert.equal(out.code, 0);
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test("lock() external: a nested attempt on the same file never drops the outer holder's exclusion", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const outer = await lock("nest", { external: true, lockPath: dir, fair: true });
    assert.equal(await probe(dir, "nest"), "busy");
    // oslo's gotcha: an inner open + close of the same lock file dropped the process's lock.
    const inner = externalLock("nest", { lockPath: dir });
    assert.equal(await inner.acquire({ blocking: false }), false);
    await assert.rejects(inner.acquire({ timeout: 10 }), { name: "TimeoutError" });
    await inner.release();
    assert.equal(await probe(dir, "nest"), "busy");
    await outer.release();
    assert.equal(await probe(dir, "nest"), "acquired");
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

// These tests run with --allow-ffi: the default mode then locks through a raw fd kept open.
Deno.test("flock mode with --allow-ffi keeps one unlocked fd per lock file between acquisitions and closes it when idle", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (let i = 0; i < 50; i++) {
      await (await lock("kept", { external: true, lockPath: dir })).release();
    }
    assert.equal(await fdsOn(`${dir}/kept`), 1);
    // Idle and unlocked: a process locking through Deno.FsFile takes it while the fd stays open.
    assert.equal(await probe(dir, "kept"), "acquired");
    const held = await lock("kept", { external: true, lockPath: dir });
    assert.equal(await probe(dir, "kept"), "busy");
    await held.release();
    await waitFor(
      async () => await fdsOn(`${dir}/kept`) === 0,
      "the idle fd to close",
      IDLE_MS * 5,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("flock mode: a lock file deleted and recreated is never held through the stale kept fd", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await (await lock("re", { external: true, lockPath: dir })).release();
    assert.equal(await fdsOn(`${dir}/re`), 1);
    // Someone else deletes the file and another process locks the new one.
    await Deno.remove(`${dir}/re`);
    await using holder = await holdInChild(dir, "re");
    await new Promise((r) => setTimeout(r, 5));
    await assert.rejects(
      lock("re", { external: true, lockPath: dir, blocking: false }),
      { name: "AcquireLockFailedError" },
    );
    holder.child.kill("SIGKILL");
    await holder.child.status;
    await (await lock("re", { external: true, lockPath: dir, timeout: 10_000 })).release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
