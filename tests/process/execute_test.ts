import assert from "node:assert/strict";
import { FakeClock } from "../../runtime/clock.ts";
import {
  execute,
  type ExecuteLogLevel,
  LogErrors,
  NoRootWrapSpecifiedError,
  ProcessExecutionError,
  ProcessTimeoutError,
} from "../../process/mod.ts";
import { prlimitAvailable, setPrlimitAvailable } from "../../process/_prlimit.ts";
import { setEffectiveRoot } from "../../process/_root.ts";
import { setSetsidAvailable, setsidAvailable } from "../../process/_setsid.ts";
import { isRunning, readPid, waitFor, withLogLines } from "./_helpers.ts";

function isPEE(err: unknown): err is ProcessExecutionError {
  return err instanceof ProcessExecutionError;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}

// --- command forms -------------------------------------------------------------------------

Deno.test("execute() runs an array command directly, without a shell", async () => {
  const { stdout, stderr } = await execute(["echo", "$HOME", "a  b", "*"]);
  assert.equal(stdout, "$HOME a  b *\n");
  assert.equal(stderr, "");
});

Deno.test("execute() treats a string without shell as one program name, never split", async () => {
  const err = await rejection(execute("echo hi"));
  assert.ok(isPEE(err));
  assert.equal(err.exitCode, undefined);
  assert.equal(err.cmd, "echo hi");
  assert.ok(err.cause instanceof Deno.errors.NotFound);
});

Deno.test("execute() with shell: true runs /bin/sh -c, further items are $0 and $1", async () => {
  const { stdout } = await execute('echo "$0:$1" | tr a-z A-Z', { shell: true });
  assert.equal(stdout, "/BIN/SH:\n");
  const withArgs = await execute(['echo "$0:$1"', "zero", "one"], { shell: true });
  assert.equal(withArgs.stdout, "zero:one\n");
});

// --- stdin, env, cwd ------------------------------------------------------------------------

Deno.test("execute() writes input to stdin, then closes it", async () => {
  const { stdout } = await execute(["sh", "-c", "cat; echo END"], { input: "héllo\n" });
  assert.equal(stdout, "héllo\nEND\n");
  const bytes = await execute(["cat"], { input: new Uint8Array([0x61, 0x62]) });
  assert.equal(bytes.stdout, "ab");
  const empty = await execute(["sh", "-c", "cat; echo END"], { input: "" });
  assert.equal(empty.stdout, "END\n");
});

Deno.test("execute() gives stdin EOF at once without input (it is a pipe, not the terminal)", async () => {
  const { stdout } = await execute(["sh", "-c", "cat; test -p /dev/stdin && echo pipe"]);
  assert.equal(stdout, "pipe\n");
});

Deno.test("execute() env replaces the whole environment", async () => {
  const { stdout } = await execute(["/usr/bin/env"], { env: { A: "1", B: "two words" } });
  assert.deepEqual(stdout.trim().split("\n").sort(), ["A=1", "B=two words"]);
});

Deno.test("execute() finds a program on fjord's PATH when env has none, also when wrapped", async () => {
  // Deno looks the program up in fjord's PATH; the setsid/prlimit/ulimit wrappers would look it
  // up in the child's (empty) environment: /bin:/usr/bin only. A subprocess gets its own PATH, as
  // this process's PATH is shared with the tests running in parallel.
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/fjord-on-path`, "#!/bin/sh\necho found $A\n");
    await Deno.chmod(`${dir}/fjord-on-path`, 0o755);
    const fixture = new URL("./_fixtures/wrapped_path_lookup.ts", import.meta.url);
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-prompt",
        "--no-config",
        "--allow-run",
        "--allow-env",
        "--allow-read",
        fixture.href,
      ],
      stdin: "null",
      env: { PATH: `${dir}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}` },
    }).output();
    const decoder = new TextDecoder();
    assert.equal(code, 0, decoder.decode(stderr));
    const found = "found 1\n";
    assert.deepEqual(JSON.parse(decoder.decode(stdout)), {
      plain: found,
      setsid: found,
      detached: found,
      prlimit: found,
      ulimit: found,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("execute() falls back per call when env.PATH lacks setsid or prlimit, remembering nothing", async () => {
  // Deno looks the wrappers up in env.PATH: missing there, they may still be on fjord's PATH.
  const setsidBefore = setsidAvailable();
  const prlimitBefore = prlimitAvailable();
  const env = { PATH: "/nonexistent" };
  const { stdout } = await execute(["/bin/sh", "-c", "echo x"], { env, timeout: 30_000 });
  assert.equal(stdout, "x\n");
  assert.ok(setsidAvailable() !== false || setsidBefore === false);
  const limited = await execute(["/bin/sh", "-c", "ulimit -n"], {
    env,
    prlimit: { numberFiles: 64 },
  });
  assert.equal(limited.stdout, "64\n");
  assert.ok(prlimitAvailable() !== false || prlimitBefore === false);
});

Deno.test("execute() resolves a relative program against cwd, also when wrapped", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/bin`);
    await Deno.writeTextFile(`${dir}/bin/tool`, "#!/bin/sh\npwd\n");
    await Deno.chmod(`${dir}/bin/tool`, 0o755);
    const real = await Deno.realPath(dir);
    for (const options of [{}, { timeout: 30_000 }, { prlimit: { numberFiles: 64 } }]) {
      const { stdout } = await execute(["./bin/tool"], { ...options, cwd: dir });
      assert.equal(stdout, `${real}\n`, JSON.stringify(options));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("execute() reports a missing cwd as a start failure, still trusting setsid and prlimit", async () => {
  const setsidBefore = setsidAvailable();
  const prlimitBefore = prlimitAvailable();
  for (const options of [{}, { timeout: 30_000 }, { prlimit: { numberFiles: 64 } }]) {
    const err = await rejection(execute(["true"], { ...options, cwd: "/nonexistent/fjord-cwd" }));
    assert.ok(isPEE(err), String(err));
    assert.equal(err.exitCode, undefined);
    assert.ok(err.cause instanceof Deno.errors.NotFound, String(err.cause));
  }
  // A missing cwd says nothing about the wrappers: later calls still use them.
  assert.ok(setsidAvailable() !== false || setsidBefore === false);
  assert.ok(prlimitAvailable() !== false || prlimitBefore === false);
});

Deno.test("execute() runs in cwd", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { stdout } = await execute(["pwd"], { cwd: dir });
    assert.equal(stdout, `${await Deno.realPath(dir)}\n`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// --- exit codes -----------------------------------------------------------------------------

Deno.test("execute() rejects a non-zero exit by default with the five-line message", async () => {
  const err = await rejection(execute(["sh", "-c", "echo out; echo err >&2; exit 3"]));
  assert.ok(isPEE(err));
  assert.equal(err.exitCode, 3);
  assert.equal(err.signal, undefined);
  assert.equal(err.stdout, "out\n");
  assert.equal(err.stderr, "err\n");
  assert.equal(err.cmd, "sh -c echo out; echo err >&2; exit 3");
  assert.equal(err.description, undefined);
  assert.equal(
    err.message,
    "Unexpected error while running command.\nCommand: sh -c echo out; echo err >&2; exit 3\n" +
      "Exit code: 3\nStdout: 'out\\n'\nStderr: 'err\\n'",
  );
});

Deno.test("execute() checkExitCode accepts a boolean, a number or a list", async () => {
  assert.deepEqual(await execute(["false"], { checkExitCode: false }), { stdout: "", stderr: "" });
  await execute(["sh", "-c", "exit 2"], { checkExitCode: 2 });
  await execute(["sh", "-c", "exit 5"], { checkExitCode: [0, 5] });
  await execute(["true"], { checkExitCode: true });
  const err = await rejection(execute(["true"], { checkExitCode: [1] }));
  assert.ok(isPEE(err) && err.exitCode === 0);
  const bad = await rejection(execute(["false"], { checkExitCode: true }));
  assert.ok(isPEE(bad) && bad.exitCode === 1);
  // An empty list allows nothing (oslo's membership test); a negative code allows a signal death.
  const none = await rejection(execute(["true"], { checkExitCode: [] }));
  assert.ok(isPEE(none) && none.exitCode === 0);
  await execute(["sh", "-c", "kill -TERM $$"], { checkExitCode: -15 });
});

Deno.test("execute() reports a signal death as exitCode -signo with signal set", async () => {
  const err = await rejection(execute(["sh", "-c", "kill -9 $$"]));
  assert.ok(isPEE(err));
  assert.equal(err.exitCode, -9);
  assert.equal(err.signal, "SIGKILL");
  const term = await rejection(execute(["sh", "-c", "kill -TERM $$"]));
  assert.ok(isPEE(term) && term.exitCode === -15 && term.signal === "SIGTERM");
});

// --- output ---------------------------------------------------------------------------------

Deno.test("execute() decodes invalid UTF-8 with U+FFFD; binary: true returns the bytes", async () => {
  const script = "printf 'a\\377b'; printf '\\001' >&2";
  const text = await execute(["sh", "-c", script]);
  assert.equal(text.stdout, "a\uFFFDb");
  // CRLF and non-BMP characters pass through untouched.
  assert.equal((await execute(["printf", "a\r\nb \u{1F600}\r\n"])).stdout, "a\r\nb \u{1F600}\r\n");
  const raw = await execute(["sh", "-c", script], { binary: true });
  assert.ok(raw.stdout instanceof Uint8Array);
  assert.deepEqual([...raw.stdout], [0x61, 0xff, 0x62]);
  assert.deepEqual([...raw.stderr], [0x01]);
});

Deno.test("execute() keeps a leading byte order mark in decoded output, as os.fsdecode", async () => {
  const script = "printf '\\357\\273\\277out'; printf '\\357\\273\\277err' >&2";
  for (const options of [{}, { timeout: 30_000 }]) {
    assert.deepEqual(await execute(["sh", "-c", script], options), {
      stdout: "\uFEFFout",
      stderr: "\uFEFFerr",
    });
  }
  const err = await execute(["sh", "-c", `${script}; exit 1`]).catch((e: unknown) => e);
  assert.ok(isPEE(err) && err.stdout === "\uFEFFout" && err.stderr === "\uFEFFerr", String(err));
});

Deno.test("execute() reads tens of MiB on both pipes concurrently while feeding stdin", async () => {
  const size = 24 * 1024 * 1024;
  const input = new Uint8Array(size).fill(0x61);
  // cat echoes stdin to stdout while the shell also floods stderr: a child blocked on any full
  // pipe would hang here.
  const { stdout, stderr } = await execute(
    ["sh", "-c", `head -c ${size} /dev/zero >&2 & cat; wait`],
    { input, binary: true },
  );
  assert.equal(stdout.length, size);
  assert.equal(stderr.length, size);
  assert.ok(stdout.every((b) => b === 0x61));
});

// --- retries --------------------------------------------------------------------------------

Deno.test("execute() runs `attempts` times in total, without delay when delayOnRetry is false", async () => {
  let spawns = 0;
  const err = await rejection(
    execute(["false"], { attempts: 3, delayOnRetry: false, onExecute: () => spawns++ }),
  );
  assert.ok(isPEE(err) && err.exitCode === 1);
  assert.equal(spawns, 3);
});

Deno.test("execute() stops retrying once an attempt succeeds", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const counter = `${dir}/n`;
    // Fails twice, then succeeds.
    const script = `n=$(cat ${counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${counter}; ` +
      `test $n -ge 3 && echo ok`;
    const { stdout } = await execute(["sh", "-c", script], { attempts: 5, delayOnRetry: false });
    assert.equal(stdout, "ok\n");
    assert.equal((await Deno.readTextFile(counter)).trim(), "3");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("execute() sleeps a uniform 200–2000 ms (10 ms steps) between attempts", async () => {
  using clock = new FakeClock();
  const delays: number[] = [];
  let spawns = 0;
  const running = rejection(
    execute(["false"], { attempts: 4, clock, onExecute: () => spawns++ }),
  );
  for (let i = 0; i < 3; i++) {
    await waitFor(() => clock.pending === 1, "the retry sleep");
    const before = clock.now();
    await clock.next();
    delays.push(clock.now() - before);
  }
  const err = await running;
  assert.ok(isPEE(err));
  assert.equal(spawns, 4);
  for (const d of delays) assert.ok(d >= 200 && d <= 2000 && d % 10 === 0, `delay ${d}`);
});

Deno.test("execute() retries a missing program too, then rejects with the OS error as cause", async () => {
  await withLogLines(async (lines) => {
    const err = await rejection(
      execute(["/nonexistent/fjord-prog"], { attempts: 2, delayOnRetry: false }),
    );
    assert.ok(isPEE(err));
    assert.equal(err.exitCode, undefined);
    assert.ok(err.cause instanceof Deno.errors.NotFound);
    assert.match(err.message, /^Command: \/nonexistent\/fjord-prog$/m);
    assert.equal(lines.filter((l) => l.endsWith("failed. Retrying.")).length, 1);
    assert.equal(lines.filter((l) => l.endsWith("failed. Not Retrying.")).length, 1);
  });
});

Deno.test("execute() logErrors: DEFAULT dumps nothing, ALL every attempt, FINAL the last, at loglevel", async () => {
  const dumps = async (logErrors: LogErrors, loglevel?: ExecuteLogLevel): Promise<string[]> =>
    await withLogLines(async (lines) => {
      await rejection(
        execute(["sh", "-c", "exit 7"], {
          attempts: 3,
          delayOnRetry: false,
          logErrors,
          ...(loglevel && { loglevel }),
        }),
      );
      return lines.filter((l) => l.includes("\ncommand: "));
    });
  assert.equal((await dumps(LogErrors.DEFAULT)).length, 0);
  assert.equal((await dumps(LogErrors.ALL)).length, 3);
  const final = await dumps(LogErrors.FINAL);
  assert.deepEqual(final, [
    "debug: None\ncommand: 'sh -c exit 7'\nexit code: 7\nstdout: ''\nstderr: ''",
  ]);
  const warned = await dumps(LogErrors.FINAL, "warning");
  assert.deepEqual(warned, [
    "warning: None\ncommand: 'sh -c exit 7'\nexit code: 7\nstdout: ''\nstderr: ''",
  ]);
  assert.match((await dumps(LogErrors.ALL, "error"))[2]!, /^error: None\n/);
});

// --- timeout and abort ----------------------------------------------------------------------

Deno.test("execute() timeout kills the whole process group and is not retried", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // A FakeClock timeout, so a loaded machine cannot expire it before the grandchild exists.
    using clock = new FakeClock();
    let spawns = 0;
    const running = rejection(execute(
      ["sh", "-c", `sleep 30 & echo $! > ${dir}/pid; wait`],
      { timeout: 300, attempts: 3, onExecute: () => spawns++, clock },
    ));
    const grandchild = await readPid(`${dir}/pid`);
    assert.ok(await isRunning(grandchild));
    await clock.tickAsync(300);
    const err = await running;
    assert.ok(err instanceof ProcessTimeoutError, String(err));
    assert.equal(err.timeout, 300);
    assert.equal(err.cmd, `sh -c sleep 30 & echo $! > ${dir}/pid; wait`);
    assert.equal(spawns, 1);
    await waitFor(
      async () => !await isRunning(grandchild),
      "the sleep 30 grandchild to be gone",
      5000,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("execute() timeout also kills the group through Deno's detached option (no setsid)", async () => {
  setSetsidAvailable(false);
  const dir = await Deno.makeTempDir();
  try {
    using clock = new FakeClock();
    const running = rejection(execute(
      ["sh", "-c", `sleep 30 & echo $! > ${dir}/pid; wait`],
      { timeout: 300, clock },
    ));
    const grandchild = await readPid(`${dir}/pid`);
    await clock.tickAsync(300);
    const err = await running;
    assert.ok(err instanceof ProcessTimeoutError, String(err));
    await waitFor(async () => !await isRunning(grandchild), "the grandchild to be gone", 5000);
  } finally {
    setSetsidAvailable(undefined);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("execute() with a timeout reports a missing program like without one", async () => {
  for (const setsid of [undefined, false]) {
    setSetsidAvailable(setsid);
    try {
      const err = await rejection(execute(["/nonexistent/fjord-prog", "x"], { timeout: 5000 }));
      assert.ok(isPEE(err), String(err));
      assert.equal(err.exitCode, undefined);
      assert.ok(err.cause instanceof Deno.errors.NotFound, String(err.cause));
      assert.equal(err.cmd, "/nonexistent/fjord-prog x");
      assert.match(err.message, /^Failed to spawn '\/nonexistent\/fjord-prog'/);
    } finally {
      setSetsidAvailable(undefined);
    }
  }
});

Deno.test("execute() sends SIGKILL 2000 ms after a SIGTERM the group ignores", async () => {
  const dir = await Deno.makeTempDir();
  try {
    using clock = new FakeClock();
    let completed = 0;
    let settled = false;
    const running = rejection(execute(
      ["sh", "-c", `trap '' TERM; sleep 30 & echo $! > ${dir}/pid; wait`],
      { timeout: 1000, clock, onCompletion: () => completed++ },
    )).finally(() => settled = true);
    const grandchild = await readPid(`${dir}/pid`);
    await clock.tickAsync(1000); // timeout: SIGTERM, ignored by both
    await waitFor(() => clock.pending === 1, "the kill grace sleep");
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(settled, false);
    assert.ok(await isRunning(grandchild));
    await clock.tickAsync(2000); // grace over: SIGKILL
    const err = await running;
    assert.ok(err instanceof ProcessTimeoutError);
    assert.equal(completed, 1);
    await waitFor(async () => !await isRunning(grandchild), "the grandchild to be gone", 5000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("execute() stops reading 2000 ms after the kill when an escaped descendant holds the pipes", async () => {
  const dir = await Deno.makeTempDir();
  let escaped = 0;
  try {
    using clock = new FakeClock();
    // `setsid` leaves the child's process group, so the group kill cannot reach it, and it keeps
    // the stdout pipe open. It writes its pid itself, once out of the group: a pid written by
    // the shell (`$!`) could be read, and the group killed, before setsid() ran.
    let settled = false;
    const running = rejection(execute(
      ["sh", "-c", `setsid sh -c 'echo $$ > ${dir}/pid; exec sleep 30' & wait`],
      { timeout: 300, clock },
    )).finally(() => settled = true);
    escaped = await readPid(`${dir}/pid`);
    await clock.tickAsync(300); // SIGTERM; the shell dies, then SIGKILL and a read grace period
    // Under load the shell may outlive the first (kill) grace period too: tick until settled.
    for (let i = 0; i < 3 && !settled; i++) {
      await waitFor(() => settled || clock.pending === 1, "a grace sleep");
      if (!settled) await clock.tickAsync(2000);
    }
    assert.ok(await running instanceof ProcessTimeoutError);
    assert.ok(await isRunning(escaped)); // it escaped the group; the finally below ends it
  } finally {
    if (escaped > 0 && await isRunning(escaped)) Deno.kill(escaped, "SIGKILL");
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("execute() abort kills the process group and rejects with signal.reason", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const controller = new AbortController();
    const running = rejection(execute(
      ["sh", "-c", `sleep 30 & echo $! > ${dir}/pid; wait`],
      { signal: controller.signal, attempts: 2 },
    ));
    const grandchild = await readPid(`${dir}/pid`);
    const reason = new Error("stop now");
    controller.abort(reason);
    assert.equal(await running, reason);
    await waitFor(async () => !await isRunning(grandchild), "the grandchild to be gone", 5000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("execute() honours an abort that happens inside onExecute", async () => {
  const controller = new AbortController();
  let pid = 0;
  const err = await rejection(execute(["sleep", "30"], {
    signal: controller.signal,
    onExecute: (child) => {
      pid = child.pid;
      controller.abort(new Error("changed my mind"));
    },
  }));
  assert.ok(err instanceof Error && err.message === "changed my mind");
  await waitFor(async () => !await isRunning(pid), "the child to be gone", 5000);
});

Deno.test("execute() with an already-aborted signal rejects without spawning", async () => {
  let spawns = 0;
  const err = await rejection(
    execute(["true"], { signal: AbortSignal.abort(), onExecute: () => spawns++ }),
  );
  assert.ok(err instanceof DOMException && err.name === "AbortError");
  assert.equal(spawns, 0);
});

Deno.test("execute() abort during the retry sleep rejects with signal.reason", async () => {
  using clock = new FakeClock();
  const controller = new AbortController();
  const running = rejection(execute(["false"], { attempts: 3, clock, signal: controller.signal }));
  await waitFor(() => clock.pending === 1, "the retry sleep");
  controller.abort(new Error("bye"));
  const err = await running;
  assert.ok(err instanceof Error && err.message === "bye");
});

Deno.test("execute() ignores an abort after the command completed", async () => {
  const controller = new AbortController();
  let completions = 0;
  const { stdout } = await execute(["echo", "done"], {
    signal: controller.signal,
    onCompletion: () => completions++,
  });
  controller.abort(new Error("too late"));
  assert.equal(stdout, "done\n");
  assert.equal(completions, 1);
});

Deno.test("execute() with a timeout that does not expire returns normally", async () => {
  const { stdout } = await execute(["echo", "quick"], { timeout: 30_000 });
  assert.equal(stdout, "quick\n");
});

// --- callbacks ------------------------------------------------------------------------------

Deno.test("execute() calls onExecute after spawn and onCompletion after exit, with the child", async () => {
  const seen: string[] = [];
  let pid = 0;
  await execute(["true"], {
    onExecute: (child) => {
      pid = child.pid;
      seen.push("execute");
    },
    onCompletion: (child) => {
      assert.equal(child.pid, pid);
      seen.push("completion");
    },
  });
  assert.deepEqual(seen, ["execute", "completion"]);
  assert.ok(pid > 0);
});

Deno.test("execute() kills the child when onExecute throws, and rejects with that error", async () => {
  const boom = new Error("callback failed");
  let pid = 0;
  const err = await rejection(execute(["sleep", "30"], {
    onExecute: (child) => {
      pid = child.pid;
      throw boom;
    },
  }));
  assert.equal(err, boom);
  assert.ok(!await isRunning(pid));
});

// --- root helper ----------------------------------------------------------------------------

Deno.test("execute() runAsRoot applies the helper in a real non-root process", async () => {
  const decoder = new TextDecoder();
  const uid = decoder.decode((await new Deno.Command("id", { args: ["-u"] }).output()).stdout);
  const asRoot = uid.trim() === "0";
  // As root, run the fixture as nobody (65534); Deno needs a cache directory it can write.
  const denoDir = await Deno.makeTempDir();
  try {
    await Deno.chmod(denoDir, 0o777);
    const fixture = new URL("./_fixtures/run_as_root.ts", import.meta.url);
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-config", "--no-prompt", "--allow-run", "--allow-read", fixture.href],
      stdin: "null",
      env: { DENO_DIR: denoDir, HOME: denoDir, PATH: "/usr/local/bin:/usr/bin:/bin" },
      clearEnv: true,
      ...(asRoot && { uid: 65534, gid: 65534 }),
    }).output();
    assert.equal(code, 0, decoder.decode(stderr));
    const result = JSON.parse(decoder.decode(stdout));
    assert.equal(result.withoutHelper, "NoRootWrapSpecifiedError");
    assert.match(result.stdout, /^applied \d+\n$/);
    assert.notEqual(result.stdout, "applied 0\n");
  } finally {
    await Deno.remove(denoDir, { recursive: true });
  }
});

Deno.test("execute() runAsRoot prefixes rootHelper when not root (array and shell)", async () => {
  setEffectiveRoot(false);
  try {
    const helper = "env 'FJORD_AS=root helper'";
    const { stdout } = await execute(["sh", "-c", "echo $FJORD_AS"], {
      runAsRoot: true,
      rootHelper: helper,
    });
    assert.equal(stdout, "root helper\n");
    const shell = await execute("printenv FJORD_AS", {
      shell: true,
      runAsRoot: true,
      rootHelper: helper,
    });
    assert.equal(shell.stdout, "root helper\n");
    // Split like Python's shlex.split: in "...", a backslash escapes only `"` and `\`.
    const escapes = await execute(["sh", "-c", 'printf %s "$FJORD_AS"'], {
      runAsRoot: true,
      rootHelper: String.raw`env "FJORD_AS=a\$b \"c\" \\ d"`,
    });
    assert.equal(escapes.stdout, String.raw`a\$b "c" \ d`);
    assert.throws(() => execute(["true"], { runAsRoot: true, rootHelper: "sudo \\" }), TypeError);
    assert.throws(() => execute(["true"], { runAsRoot: true }), NoRootWrapSpecifiedError);
  } finally {
    setEffectiveRoot(undefined);
  }
});

Deno.test("execute() runAsRoot ignores the helper when already root", async () => {
  setEffectiveRoot(true);
  try {
    const { stdout } = await execute(["echo", "plain"], {
      runAsRoot: true,
      rootHelper: "/nonexistent/helper",
    });
    assert.equal(stdout, "plain\n");
    await execute(["true"], { runAsRoot: true }); // no helper needed either
  } finally {
    setEffectiveRoot(undefined);
  }
});

// --- prlimit --------------------------------------------------------------------------------

Deno.test("execute() prlimit applies soft = hard limits to the child only", async () => {
  const before = (await execute(["sh", "-c", "ulimit -n"])).stdout;
  const { stdout } = await execute(["sh", "-c", "ulimit -Sn; ulimit -Hn; ulimit -t"], {
    prlimit: { numberFiles: 77, cpuTime: 30 },
  });
  assert.equal(stdout, "77\n77\n30\n");
  assert.equal((await execute(["sh", "-c", "ulimit -n"])).stdout, before);
});

Deno.test("execute() prlimit falls back to a sh ulimit wrapper without util-linux prlimit", async () => {
  setPrlimitAvailable(false);
  try {
    const { stdout } = await execute(["sh", "-c", "ulimit -Sn; ulimit -Hn; ulimit -v"], {
      prlimit: { numberFiles: 66, addressSpace: 4096 * 1024 * 1024 },
    });
    assert.equal(stdout, "66\n66\n4194304\n");
    const odd = await rejection(execute(["true"], { prlimit: { addressSpace: 1000 } }));
    assert.ok(odd instanceof Deno.errors.NotSupported, String(odd));
    assert.match((odd as Error).message, /'prlimit.addressSpace' = 1000/);
    const nproc = await rejection(execute(["true"], { prlimit: { numberProcesses: 10 } }));
    assert.ok(nproc instanceof Deno.errors.NotSupported);
    assert.match((nproc as Error).message, /prlimit.numberProcesses.*no portable flag/);
  } finally {
    setPrlimitAvailable(undefined);
  }
});

Deno.test("execute() refuses bad limits at the call", () => {
  assert.throws(() => execute(["true"], { prlimit: { numberFiles: -1 } }), RangeError);
  assert.throws(() => execute(["true"], { prlimit: { cpuTime: 1.5 } }), RangeError);
  assert.throws(
    () => execute(["true"], { prlimit: { bogus: 1 } as unknown as { cpuTime: number } }),
    TypeError,
  );
});

// --- bad input and faults -------------------------------------------------------------------

Deno.test("execute() throws TypeError/RangeError synchronously for bad arguments", () => {
  assert.throws(() => execute([]), TypeError);
  assert.throws(() => execute(""), TypeError);
  assert.throws(() => execute([""]), TypeError);
  assert.throws(() => execute([1 as unknown as string]), TypeError);
  assert.throws(() => execute(["true"], { attempts: 0 }), RangeError);
  assert.throws(() => execute(["true"], { attempts: 1.5 }), RangeError);
  assert.throws(() => execute(["true"], { timeout: 0 }), RangeError);
  assert.throws(() => execute(["true"], { timeout: -1 }), RangeError);
  assert.throws(() => execute(["true"], { timeout: -Infinity }), RangeError);
  assert.throws(() => execute(["true"], { timeout: NaN }), RangeError);
  assert.throws(() => execute(["true"], { attempts: NaN }), RangeError);
  assert.throws(() => execute(["true"], { attempts: Infinity }), RangeError);
  assert.throws(() => execute(["true"], { checkExitCode: [0, 1.5] }), RangeError);
  assert.throws(() => execute(["true"], { checkExitCode: NaN }), RangeError);
  assert.throws(() => execute(["true"], { logErrors: 7 as LogErrors }), RangeError);
  assert.throws(
    () => execute(["true"], { checkExitCode: "0" as unknown as number }),
    TypeError,
  );
  assert.throws(() => execute(["true"], { input: 5 as unknown as string }), TypeError);
  assert.throws(() => execute(["true"], { env: { A: 1 as unknown as string } }), TypeError);
  assert.throws(() => execute(["true"], { signal: {} as AbortSignal }), TypeError);
  assert.throws(
    () => execute(["true"], { onExecute: "x" as unknown as () => void }),
    /'onExecute' must be a function/,
  );
  assert.throws(() => execute([]), /Cannot execute as 'cmd' must be a non-empty command/);
});

Deno.test("execute() without --allow-run rejects with an error naming the program and the flag", async () => {
  const fixture = new URL("./_fixtures/no_run_permission.ts", import.meta.url);
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--no-config", fixture.href],
    stdin: "null",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const result = JSON.parse(new TextDecoder().decode(stdout));
  assert.equal(result.name, "NotCapable");
  assert.equal(result.notCapable, true);
  assert.match(result.message, /'true'/);
  assert.match(result.message, /--allow-run/);
});

Deno.test("execute() timeout with --allow-run for the program only kills the child, warns", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const fixture = new URL("./_fixtures/timeout_without_setsid_permission.ts", import.meta.url);
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", "--no-config", "--allow-run=sh", fixture.href, `${dir}/pid`],
      stdin: "null",
    }).output();
    const decoder = new TextDecoder();
    assert.equal(code, 0, decoder.decode(stderr));
    assert.deepEqual(JSON.parse(decoder.decode(stdout)), { stdout: "ok\n", timedOut: true });
    // Neither setsid nor Deno.kill() on the group is allowed: fjord says so.
    assert.match(decoder.decode(stderr), /Cannot signal a child's process group/);
    const grandchild = await readPid(`${dir}/pid`);
    if (await isRunning(grandchild)) Deno.kill(grandchild, "SIGKILL");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("execute() never lets a secret reach a log line or an error unmasked", async () => {
  await withLogLines(async (lines) => {
    const err = await rejection(execute(
      [
        "sh",
        "-c",
        "echo password=hunter2; echo token=hunter2 >&2; exit 1",
        "--password",
        "hunter2",
      ],
      { attempts: 2, delayOnRetry: false, logErrors: LogErrors.ALL },
    ));
    assert.ok(isPEE(err));
    assert.ok(!err.message.includes("hunter2"), err.message);
    assert.ok(!err.cmd.includes("hunter2"));
    assert.equal(err.stdout, "password=***\n");
    assert.ok(lines.length >= 6);
    for (const line of lines) assert.ok(!line.includes("hunter2"), line);

    const timeout = await rejection(
      execute(["sh", "-c", "sleep 30", "--password", "hunter2"], { timeout: 100 }),
    );
    assert.ok(timeout instanceof ProcessTimeoutError, String(timeout));
    assert.ok(!timeout.message.includes("hunter2"), timeout.message);
    for (const line of lines) assert.ok(!line.includes("hunter2"), line);
  });
});

Deno.test("execute() masks a secret in a program name that cannot start (error, cause, log)", async () => {
  // A whole command line given as one program name: Deno's spawn error repeats it.
  for (const setsid of [undefined, false]) {
    setSetsidAvailable(setsid);
    try {
      await withLogLines(async (lines) => {
        for (const options of [{}, { timeout: 30_000 }]) {
          const err = await rejection(
            execute("fjord-no-such-prog --password=hunter2", {
              ...options,
              logErrors: LogErrors.ALL,
            }),
          );
          assert.ok(isPEE(err), String(err));
          assert.equal(err.exitCode, undefined);
          assert.ok(err.cause instanceof Deno.errors.NotFound, String(err.cause));
          assert.match(err.message, /^Failed to spawn 'fjord-no-such-prog --password=\*\*\*'/);
          for (const text of [err.message, String(err.cause), err.cause.stack ?? ""]) {
            assert.ok(!text.includes("hunter2"), text);
          }
        }
        assert.ok(lines.length >= 4);
        for (const line of lines) assert.ok(!line.includes("hunter2"), line);
      });
    } finally {
      setSetsidAvailable(undefined);
    }
  }
});

Deno.test("execute() returns successful output unmasked (oslo masks only errors)", async () => {
  const { stdout } = await execute(["echo", "password=visible"]);
  assert.equal(stdout, "password=visible\n");
});

Deno.test("execute(): a numeric option given as a string is a TypeError naming it a string", () => {
  const two = "2" as unknown as number;
  assert.throws(() => execute(["true"], { attempts: two }), {
    name: "TypeError",
    message: "Cannot execute as 'attempts' must be an integer >= 1: current value is string 2",
  });
  assert.throws(() => execute(["true"], { timeout: two }), {
    name: "TypeError",
    message: "Cannot execute as 'timeout' must be a number > 0: current value is string 2",
  });
  assert.throws(() => execute(["true"], { prlimit: { numberFiles: two } }), {
    name: "TypeError",
    message:
      "Cannot execute as 'prlimit.numberFiles' must be an integer >= 0: current value is string 2",
  });
  assert.throws(() => execute(["true"], { checkExitCode: [0, two] }), {
    name: "TypeError",
    message: "Cannot execute as 'checkExitCode[1]' must be an integer: current value is string 2",
  });
});

Deno.test("execute(): a numeric option that is a number out of range (NaN, -1, 1.5) stays a RangeError", () => {
  assert.throws(() => execute(["true"], { attempts: Number.NaN }), {
    name: "RangeError",
    message: "Cannot execute as 'attempts' must be an integer >= 1: current value is number NaN",
  });
  assert.throws(() => execute(["true"], { timeout: -1 }), {
    name: "RangeError",
    message: "Cannot execute as 'timeout' must be a number > 0: current value is number -1",
  });
  assert.throws(() => execute(["true"], { prlimit: { cpuTime: 1.5 } }), {
    name: "RangeError",
    message:
      "Cannot execute as 'prlimit.cpuTime' must be an integer >= 0: current value is number 1.5",
  });
  assert.throws(() => execute(["true"], { checkExitCode: Number.NaN }), {
    name: "RangeError",
    message: "Cannot execute as 'checkExitCode' must be an integer: current value is number NaN",
  });
});

Deno.test("execute(): a string value is described with its type, clipped and with NUL escaped", () => {
  assert.throws(() => execute(["true"], { cwd: "/tmp\0" }), {
    name: "TypeError",
    message:
      "Cannot execute as 'cwd' must be free of NUL characters: current value is string \"/tmp\\u0000\"",
  });
  assert.throws(() => execute(["true"], { env: { A: 1 as unknown as string } }), {
    name: "TypeError",
    message: "Cannot execute as 'env.A' must be a string: current value is number 1",
  });
  const huge = "x".repeat(10_000);
  assert.throws(() => execute(["true"], { loglevel: huge as "debug" }), (e: unknown) => {
    assert.ok(e instanceof RangeError);
    assert.ok(e.message.endsWith(`string ${"x".repeat(200)}… (9800 more characters)`), e.message);
    return true;
  });
});
