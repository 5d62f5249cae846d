import assert from "node:assert/strict";
import { FakeClock } from "../../runtime/clock.ts";
import { captureLog } from "../_util.ts";
import {
  AcquireLockFailedError,
  externalLock,
  lock,
  type LockOptions,
  LockPathRequiredError,
  lockWithPrefix,
  removeExternalLockFile,
  Semaphores,
  setDefaults,
  synchronized,
} from "../../lock/mod.ts";

Deno.test("lock() grants the same name in FIFO order and excludes the critical section", async () => {
  const order: number[] = [];
  let inside = 0;
  await Promise.all([0, 1, 2, 3, 4].map(async (i) => {
    await using _held = await lock("fifo");
    inside++;
    assert.equal(inside, 1);
    order.push(i);
    await new Promise((r) => setTimeout(r, 1));
    inside--;
  }));
  assert.deepEqual(order, [0, 1, 2, 3, 4]);
});

Deno.test("lock() on different names does not exclude", async () => {
  await using _a = await lock("name-a");
  await using b = await lock("name-b", { blocking: false });
  assert.equal(b.name, "name-b");
});

Deno.test("lock() with blocking: false rejects with AcquireLockFailedError when held", async () => {
  const held = await lock("busy");
  const err = await lock("busy", { blocking: false }).catch((e) => e);
  assert.ok(err instanceof AcquireLockFailedError);
  assert.equal(err.name, "AcquireLockFailedError");
  assert.equal(err.lockName, "busy");
  assert.equal(err.message, "Failed to acquire the lock busy");
  await held.release();
  await (await lock("busy", { blocking: false })).release();
});

Deno.test("LockHandle.release() is idempotent", async () => {
  const semaphores = new Semaphores();
  const h = await lock("x", { semaphores });
  await h.release();
  const other = await lock("x", { semaphores });
  await h.release();
  assert.equal(semaphores.size, 1);
  await other.release();
  assert.equal(semaphores.size, 0);
});

Deno.test("lock() timeout rejects with TimeoutError and leaves nothing held or queued", async () => {
  const clock = new FakeClock();
  const semaphores = new Semaphores();
  const held = await lock("t", { semaphores });
  const waiting = lock("t", { semaphores, timeout: 100, clock });
  const timedOut = assert.rejects(waiting, (e: DOMException) => {
    assert.equal(e.name, "TimeoutError");
    assert.match(e.message, /100 ms.*lock "t"/);
    return true;
  });
  await clock.tickAsync(99);
  assert.equal(semaphores.get("t").waiting, 1);
  await clock.tickAsync(1);
  await timedOut;
  assert.equal(semaphores.get("t").waiting, 0);
  await held.release();
  assert.equal(semaphores.size, 0);
  assert.equal(clock.pending, 0);
});

Deno.test("lock() granted in the turn its timeout fires keeps the grant: never lost, never double-held", async () => {
  const clock = new FakeClock();
  const semaphores = new Semaphores();
  const held = await lock("race", { semaphores });
  const waiting = lock("race", { semaphores, timeout: 10, clock });
  clock.tick(10); // the timeout fires...
  await held.release(); // ...and the holder hands over in the same turn
  const granted = await waiting;
  assert.equal(semaphores.get("race").locked, true);
  await assert.rejects(lock("race", { semaphores, blocking: false }), AcquireLockFailedError);
  await granted.release();
  assert.equal(semaphores.size, 0);
  assert.equal(clock.pending, 0);
});

Deno.test("lock() whose timeout won the race holds nothing: a later release frees the name", async () => {
  const clock = new FakeClock();
  const semaphores = new Semaphores();
  const held = await lock("race2", { semaphores });
  const waiting = lock("race2", { semaphores, timeout: 10, clock });
  const timedOut = assert.rejects(waiting, { name: "TimeoutError" });
  await clock.tickAsync(10);
  await held.release();
  await timedOut;
  assert.equal(semaphores.size, 0);
  await (await lock("race2", { semaphores, blocking: false })).release();
});

Deno.test("lock() abort rejects with signal.reason and leaves nothing held or queued", async () => {
  const semaphores = new Semaphores();
  const held = await lock("a", { semaphores });
  const controller = new AbortController();
  const waiting = lock("a", { semaphores, signal: controller.signal });
  const reason = new Error("shutting down");
  controller.abort(reason);
  await assert.rejects(waiting, (e) => e === reason);
  await held.release();
  assert.equal(semaphores.size, 0);
  await assert.rejects(lock("a", { signal: AbortSignal.abort() }), { name: "AbortError" });
});

Deno.test("lock() rejects bad arguments at the call", () => {
  assert.throws(() => lock(""), TypeError);
  assert.throws(() => lock(3 as unknown as string), TypeError);
  assert.throws(() => lock("x", { timeout: -1 }), RangeError);
  assert.throws(() => lock("x", { timeout: NaN }), RangeError);
  assert.throws(() => lock("x", { semaphores: {} as Semaphores }), TypeError);
  // Options typed as strings, given something else from JavaScript, are named in the error.
  const notString = 7 as unknown as string;
  assert.throws(() => lock("x", { external: true, lockPath: notString }), {
    name: "TypeError",
    message: "Cannot use lock 'x' as 'lockPath' must be a string: current value is number 7",
  });
  assert.throws(() => lock("x", { external: true, lockPath: "/tmp", lockFilePrefix: notString }), {
    name: "TypeError",
    message: "Cannot use lock 'x' as 'lockFilePrefix' must be a string: current value is number 7",
  });
  assert.throws(() => externalLock("x", { lockPath: notString }), /'lockPath' must be a string/);
  // A string where a boolean belongs would be truthy ("no") or ignored ("yes" for external).
  for (const flag of ["external", "fair", "blocking"]) {
    assert.throws(() => lock("x", { [flag]: "no" }), {
      name: "TypeError",
      message: `Cannot lock as '${flag}' must be a boolean: current value is string no`,
    });
  }
});

Deno.test("lock() logs oslo's debug lines", async () => {
  using log = captureLog();
  const h = await lock("logged");
  await h.release();
  assert.deepEqual(log.lines, [
    'Acquiring lock "logged"',
    'Acquired lock "logged"',
    'Releasing lock "logged"',
  ]);
});

Deno.test("lock() external without a lock path throws LockPathRequiredError before holding anything", () => {
  const saved = { f: Deno.env.get("FJORD_LOCK_PATH"), o: Deno.env.get("OSLO_LOCK_PATH") };
  Deno.env.delete("FJORD_LOCK_PATH");
  Deno.env.delete("OSLO_LOCK_PATH");
  try {
    const semaphores = new Semaphores();
    assert.throws(
      () => lock("nolock", { external: true, semaphores }),
      (e: LockPathRequiredError) => {
        assert.equal(e.name, "LockPathRequiredError");
        assert.equal(e.message, "value required for option lock_path in group [oslo_concurrency]");
        return e instanceof LockPathRequiredError;
      },
    );
    assert.equal(semaphores.size, 0);
    assert.equal(semaphores.get("nolock").locked, false);
  } finally {
    if (saved.f !== undefined) Deno.env.set("FJORD_LOCK_PATH", saved.f);
    if (saved.o !== undefined) Deno.env.set("OSLO_LOCK_PATH", saved.o);
  }
});

Deno.test("lock() external creates the directory (0700) and the lock file, and never deletes it", async () => {
  const base = await Deno.makeTempDir();
  try {
    const dir = `${base}/new/locks`;
    const h = await lock("jobs/nightly", { external: true, lockPath: dir, lockFilePrefix: "cron" });
    const file = `${dir}/cron-jobs_nightly`;
    assert.equal((await Deno.stat(file)).isFile, true);
    assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o700);
    await h.release();
    assert.equal((await Deno.stat(file)).isFile, true);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("lock() external never truncates an existing lock file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/keep`, "content");
    await (await lock("keep", { external: true, lockPath: dir })).release();
    assert.equal(await Deno.readTextFile(`${dir}/keep`), "content");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lock() external: '/' and '..' in names and prefixes never escape the lock directory", async () => {
  const base = await Deno.makeTempDir();
  try {
    const dir = `${base}/locks`;
    for (
      const [name, prefix] of [
        ["..", undefined],
        [".", undefined],
        ["../../etc/passwd", undefined],
        ["a/../../b", "../x"],
        ["..", "../"],
      ] as const
    ) {
      await (await lock(name, {
        external: true,
        lockPath: dir,
        ...(prefix !== undefined ? { lockFilePrefix: prefix } : {}),
      })).release();
    }
    const inBase: string[] = [];
    for await (const e of Deno.readDir(base)) inBase.push(e.name);
    assert.deepEqual(inBase, ["locks"]);
    const files: string[] = [];
    for await (const e of Deno.readDir(dir)) {
      assert.equal(e.isFile, true);
      files.push(e.name);
    }
    assert.deepEqual(
      files.sort(),
      ["_.", "_..", ".._-..", ".._x-a_.._.._b", ".._.._etc_passwd"].sort(),
    );
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("lock() external: NUL becomes '_', a file name over 255 bytes is a RangeError at the call", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await (await lock("a\0b", { external: true, lockPath: dir })).release();
    await Deno.stat(`${dir}/a_b`);
    // 255 bytes is the longest name the file system takes; the lock works.
    await (await lock("x".repeat(251), { external: true, lockPath: dir, lockFilePrefix: "p" }))
      .release();
    await Deno.stat(`${dir}/p-${"x".repeat(251)}`);
    const semaphores = new Semaphores();
    // 2-byte characters: 128 of them are 256 bytes.
    for (const name of ["x".repeat(256), "é".repeat(128)]) {
      assert.throws(() => lock(name, { external: true, lockPath: dir, semaphores }), {
        name: "RangeError",
        message: /must be at most 255 bytes: current length is 256 bytes/,
      });
    }
    assert.equal(semaphores.size, 0);
    // Internal locks take any length.
    await (await lock("x".repeat(10_000))).release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lockWithPrefix() names the lock file with the prefix and one '-'", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await (await lockWithPrefix("nova")("a/b", { external: true, lockPath: dir })).release();
    await (await lockWithPrefix("nova-")("c", { external: true, lockPath: dir })).release();
    const files: string[] = [];
    for await (const e of Deno.readDir(dir)) files.push(e.name);
    assert.deepEqual(files.sort(), ["nova-a_b", "nova-c"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lock() external logs 'Acquired external semaphore'", async () => {
  const dir = await Deno.makeTempDir();
  try {
    using log = captureLog();
    await (await lock("ext", { external: true, lockPath: dir })).release();
    assert.deepEqual(log.lines, [
      'Acquiring lock "ext"',
      'Acquired lock "ext"',
      'Acquired external semaphore "ext"',
      'Releasing lock "ext"',
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lock() external with a timeout gives up on a file held by another open file", async () => {
  const dir = await Deno.makeTempDir();
  const other = await Deno.open(`${dir}/held`, { write: true, create: true });
  try {
    assert.equal(other.tryLockSync(true), true);
    const semaphores = new Semaphores();
    const t0 = performance.now();
    // One deadline for all steps; the error names the caller's timeout and lock.
    await assert.rejects(
      lock("held", { external: true, lockPath: dir, timeout: 60, semaphores }),
      { name: "TimeoutError", message: 'Timed out after 60 ms waiting for lock "held"' },
    );
    assert.ok(performance.now() - t0 >= 55);
    assert.equal(semaphores.size, 0);
    const err = await lock("held", { external: true, lockPath: dir, blocking: false, semaphores })
      .catch((e) => e);
    assert.ok(err instanceof AcquireLockFailedError);
    assert.equal(semaphores.size, 0);
    other.unlockSync();
    await (await lock("held", { external: true, lockPath: dir, timeout: 1000 })).release();
  } finally {
    other.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lock() external abort while polling rejects with signal.reason and holds nothing", async () => {
  const dir = await Deno.makeTempDir();
  const other = await Deno.open(`${dir}/held`, { write: true, create: true });
  try {
    other.lockSync(true);
    const semaphores = new Semaphores();
    const controller = new AbortController();
    const waiting = lock("held", {
      external: true,
      lockPath: dir,
      signal: controller.signal,
      semaphores,
    });
    setTimeout(() => controller.abort(new Error("bye")), 20);
    await assert.rejects(waiting, { message: "bye" });
    assert.equal(semaphores.size, 0);
  } finally {
    other.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lock() external: two FileLocks of one process on one path exclude each other", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Different internal names, same lock file: the file must still exclude.
    const a = await lock("a/b", { external: true, lockPath: dir });
    const b = lock("a_b", { external: true, lockPath: dir });
    let bHeld = false;
    b.then(() => bHeld = true);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(bHeld, false);
    await a.release();
    await (await b).release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lock() external that cannot open its lock file leaves nothing held", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // The "directory" is a regular file: opening (and creating) the lock file fails.
    await Deno.writeTextFile(`${dir}/file`, "");
    const semaphores = new Semaphores();
    const o = { external: true, lockPath: `${dir}/file`, semaphores };
    const notHeld = (err: unknown) => !(err instanceof AcquireLockFailedError);
    await assert.rejects(lock("n", o), notHeld);
    // Neither the name's lock nor the path's in-process lock stayed held: a non-blocking retry
    // fails on the file again, not with AcquireLockFailedError.
    await assert.rejects(lock("n", { ...o, blocking: false }), notHeld);
    assert.equal(semaphores.size, 0);
    await (await lock("n", { semaphores, blocking: false })).release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lock() external in a directory without --allow-write names the path and the flag", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        `--allow-read=${dir}`,
        new URL("./_fixtures/try_external.ts", import.meta.url).pathname,
        `${dir}/sub`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.match(text, /NotCapable|PermissionDenied/);
    assert.ok(text.includes(`${dir}/sub/x`), text);
    assert.ok(text.includes(`--allow-write=${dir}/sub`), text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("setDefaults({lockPath}) is used when the call names no directory", async () => {
  const dir = await Deno.makeTempDir();
  try {
    setDefaults({ lockPath: dir });
    await (await lock("d", { external: true })).release();
    assert.equal((await Deno.stat(`${dir}/d`)).isFile, true);
  } finally {
    setDefaults({ lockPath: undefined });
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lock() external in an unwritable directory names the path and --allow-write", async () => {
  const base = await Deno.makeTempDir();
  try {
    await Deno.chmod(base, 0o755);
    const dir = `${base}/ro`;
    await Deno.mkdir(dir);
    await Deno.chmod(dir, 0o555);
    let message: string;
    let root = false;
    try {
      await Deno.writeTextFile(`${dir}/probe`, "");
      root = true;
    } catch {
      // Not root: the 0555 directory is unwritable as intended.
    }
    if (!root) {
      const err = await Promise.resolve().then(() => lock("x", { external: true, lockPath: dir }))
        .catch((e) => e);
      assert.ok(err instanceof Deno.errors.PermissionDenied, String(err));
      message = err.message;
    } else {
      // Root ignores permission bits: try as nobody in a child process.
      const denoDir = await Deno.makeTempDir();
      await Deno.chmod(denoDir, 0o777);
      try {
        const out = await new Deno.Command("setpriv", {
          args: [
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            Deno.execPath(),
            "run",
            "-A",
            new URL("./_fixtures/try_external.ts", import.meta.url).pathname,
            dir,
          ],
          env: { DENO_DIR: denoDir, HOME: denoDir, NO_COLOR: "1" },
          stdout: "piped",
          stderr: "piped",
        }).output();
        message = new TextDecoder().decode(out.stdout);
        assert.match(message, /^PermissionDenied: /);
      } finally {
        await Deno.remove(denoDir, { recursive: true });
      }
    }
    assert.ok(message.includes(`'${dir}/x'`), message);
    assert.ok(message.includes(`--allow-write=${dir}`), message);
  } finally {
    await Deno.chmod(`${base}/ro`, 0o700);
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("LockHandle is also Disposable: using releases synchronously", async () => {
  const semaphores = new Semaphores();
  {
    using held = await lock("sync-dispose", { semaphores });
    assert.equal(held.name, "sync-dispose");
    assert.equal(semaphores.size, 1);
  }
  assert.equal(semaphores.size, 0);
});

Deno.test("lock(): a 'timeout' given as a string is a TypeError naming it a string", () => {
  // It was a RangeError: a wrong type, not a number out of range.
  assert.throws(() => lock("x", { timeout: "5" as unknown as number }), {
    name: "TypeError",
    message: "Cannot acquire lock as 'timeout' must be a number >= 0: current value is string 5",
  });
  assert.throws(() => synchronized("x", () => {}, { timeout: "5" as unknown as number }), {
    name: "TypeError",
    message: /'timeout' must be a number >= 0: current value is string 5$/,
  });
});

Deno.test("lock(): a 'timeout' that is a number out of range (NaN, -1) stays a RangeError", () => {
  for (const timeout of [Number.NaN, -1]) {
    assert.throws(() => lock("x", { timeout }), {
      name: "RangeError",
      message:
        `Cannot acquire lock as 'timeout' must be a number >= 0: current value is number ${timeout}`,
    });
  }
});

Deno.test("lock(): 'o', 'semaphores' and 'signal' of the wrong type are described by type, in the shared wording", () => {
  assert.throws(() => lock("x", 5 as unknown as LockOptions), {
    name: "TypeError",
    message: "Cannot lock as 'o' must be an object: current value is number 5",
  });
  assert.throws(() => lock("x", { semaphores: new Map() as unknown as Semaphores }), {
    name: "TypeError",
    message:
      "Cannot lock as 'semaphores' must be a Semaphores instance: current value is an instance of Map",
  });
  assert.throws(() => lock("x", { signal: "stop" as unknown as AbortSignal }), {
    name: "TypeError",
    message: "Cannot lock as 'signal' must be an AbortSignal: current value is string stop",
  });
  assert.throws(() => lock(""), {
    name: "TypeError",
    message: "Cannot lock as 'name' must be a non-empty string: current value is an empty string",
  });
});

Deno.test("lock options: a 'conf' that is not a Config and a NUL in a path are TypeErrors at the call", async () => {
  // conf: 5 failed with "conf.registerOpts is not a function", and setDefaults({ conf: "oops" })
  // was taken and broke every later external lock. A NUL cut the path short through FFI: every
  // name under "<dir>/locks\0x" locked the one file "<dir>/locks".
  for (const conf of [5, "oops", {}, null]) {
    const refused = { name: "TypeError", message: /'conf' must be a Config: current value is / };
    assert.throws(() => lock("x", { conf: conf as never }), refused);
    assert.throws(() => setDefaults({ conf: conf as never }), refused);
    assert.throws(() => externalLock("x", { lockPath: "/tmp", conf: conf as never }), refused);
  }
  const dir = await Deno.makeTempDir();
  try {
    for (const fileLockMode of ["flock", "fcntl"] as const) {
      const lockPath = `${dir}/locks\0x`;
      assert.throws(() => lock("job", { external: true, lockPath, fileLockMode }), {
        name: "TypeError",
        message: /'lockPath' must not contain a NUL character: current value is string /,
      });
    }
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("FileLock.acquire() refuses a 'blocking' that is not a boolean", async () => {
  // 0 or "yes" decided by truthiness whether to wait.
  const dir = await Deno.makeTempDir();
  try {
    const file = externalLock("x", { lockPath: dir });
    for (const blocking of [0, "yes", null]) {
      assert.throws(() => file.acquire({ blocking: blocking as never }), {
        name: "TypeError",
        message: /'blocking' must be a boolean/,
      });
    }
    assert.equal(file.acquired, false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("removeExternalLockFile() leaves a directory of the lock file's name, as oslo's os.remove()", async () => {
  using log = captureLog();
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/svc-data`);
    await removeExternalLockFile("data", { lockPath: dir, lockFilePrefix: "svc" });
    assert.ok((await Deno.stat(`${dir}/svc-data`)).isDirectory, "the directory was removed");
    assert.ok(log.messages("warning").some((m) => m.startsWith("Failed to remove file")));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("synchronized() keeps the function's name and arity, as functools.wraps", () => {
  const wrapped = synchronized("cache", function rebuildCache(_a: number, _b: string): void {});
  assert.equal(wrapped.name, "rebuildCache");
  assert.equal(wrapped.length, 2);
});
