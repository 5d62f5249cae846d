// sshExecute() over the system ssh client. There is no SSH server here: a fake `ssh` script (a
// real process) records its arguments and runs the remote command locally with sh, or fails
// like ssh does (exit 255) for the host "unreachable".

import assert from "node:assert/strict";
import { FakeClock } from "../../runtime/clock.ts";
import {
  ProcessExecutionError,
  ProcessTimeoutError,
  sshExecute,
  type SshExecuteOptions,
} from "../../process/mod.ts";
import { isRunning, readPid, waitFor, withLogLines } from "./_helpers.ts";

const FAKE_SSH = `#!/bin/sh
# Records its arguments (one per line) next to itself, then acts as ssh would.
here=$(dirname "$0")
: > "$here/args"
for a in "$@"; do printf '%s\\n' "$a" >> "$here/args"; done
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do shift; done
shift
host=$1
shift
if [ "$host" = unreachable ]; then
  echo "ssh: connect to host unreachable port 22: Connection refused" >&2
  exit 255
fi
exec /bin/sh -c "$1"
`;

interface Fake extends AsyncDisposable {
  dir: string;
  ssh: string;
  args(): Promise<string[]>;
}

async function fakeSsh(): Promise<Fake> {
  const dir = await Deno.makeTempDir({ prefix: "fjord_ssh_test_" });
  const ssh = `${dir}/ssh`;
  await Deno.writeTextFile(ssh, FAKE_SSH);
  await Deno.chmod(ssh, 0o755);
  return {
    dir,
    ssh,
    async args(): Promise<string[]> {
      return (await Deno.readTextFile(`${dir}/args`)).split("\n").slice(0, -1);
    },
    async [Symbol.asyncDispose](): Promise<void> {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(() => assert.fail("expected a rejection"), (e: unknown) => e);
}

Deno.test("sshExecute() finds ssh in PATH and runs the command on the destination", async () => {
  await using fake = await fakeSsh();
  const fixture = new URL("./_fixtures/ssh_on_path.ts", import.meta.url);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-run", "--allow-env", "--allow-read", fixture.pathname],
    env: { PATH: `${fake.dir}:${Deno.env.get("PATH")}`, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  // stdout is masked (sanitizeStdout defaults to true, as in oslo).
  assert.deepEqual(JSON.parse(new TextDecoder().decode(out.stdout)), {
    stdout: "token=*** it's\n",
    stderr: "",
  });
  assert.deepEqual(await fake.args(), [
    "-o",
    "BatchMode=yes",
    "--",
    "db1.example",
    `echo token=abc 'it'"'"'s'`,
  ]);
});

Deno.test("sshExecute() quotes an array word by word and sends a string as is", async () => {
  await using fake = await fakeSsh();
  const opts: SshExecuteOptions = { sshCommand: fake.ssh, sshArgs: ["-p", "2222"] };
  const quoted = await sshExecute("h", ["printf", "%s|", "a b", "it's", "$HOME", ""], opts);
  assert.equal(quoted.stdout, "a b|it's|$HOME||");
  assert.deepEqual((await fake.args()).slice(0, 5), ["-p", "2222", "-o", "BatchMode=yes", "--"]);
  const line = await sshExecute("h", "echo $((1 + 2)) | tr 3 x", opts);
  assert.equal(line.stdout, "x\n");
});

Deno.test("sshExecute() runs an array's first word as the program even when it holds '=' or is a shell keyword", async () => {
  await using fake = await fakeSsh();
  const opts: SshExecuteOptions = { sshCommand: fake.ssh };
  // Before, FOO=bar was read as an assignment (and `arg` run with it), `if` as a keyword.
  for (const first of ["FOO=bar", "if"]) {
    await assert.rejects(sshExecute("h", [first, "arg"], opts), (err: unknown) => {
      assert.ok(err instanceof ProcessExecutionError);
      assert.equal(err.exitCode, 127);
      assert.match(err.stderr, new RegExp(`${first}: .*not found`));
      return true;
    });
  }
  // Later words keep '=' bare: the program gets them as they are.
  assert.equal((await sshExecute("h", ["printf", "%s", "a=b"], opts)).stdout, "a=b");
});

Deno.test("sshExecute() masks stderr always and stdout unless sanitizeStdout is false", async () => {
  await using fake = await fakeSsh();
  const cmd = "echo password=hunter2; echo token=abc >&2";
  const masked = await sshExecute("h", cmd, { sshCommand: fake.ssh });
  assert.deepEqual(masked, { stdout: "password=***\n", stderr: "token=***\n" });
  const raw = await sshExecute("h", cmd, { sshCommand: fake.ssh, sanitizeStdout: false });
  assert.deepEqual(raw, { stdout: "password=hunter2\n", stderr: "token=***\n" });
  const bytes = await sshExecute("h", cmd, { sshCommand: fake.ssh, binary: true });
  assert.ok(bytes.stdout instanceof Uint8Array);
  assert.equal(new TextDecoder().decode(bytes.stdout), "password=***\n");
  const rawBytes = await sshExecute("h", "printf '\\377'", {
    sshCommand: fake.ssh,
    binary: true,
    sanitizeStdout: false,
  });
  assert.deepEqual([...rawBytes.stdout], [0xff]);
});

Deno.test("sshExecute() binary output keeps every byte that is not a masked secret", async () => {
  // oslo masks binary output through os.fsdecode()/os.fsencode(), which round-trip any byte.
  await using fake = await fakeSsh();
  const cmd = "printf '\\377password=hunter2\\n\\376'; printf '\\375token=abc\\n' >&2";
  const out = await sshExecute("h", cmd, { sshCommand: fake.ssh, binary: true });
  const bytes = (...parts: (number | string)[]) =>
    parts.flatMap((p) => typeof p === "number" ? [p] : [...new TextEncoder().encode(p)]);
  assert.deepEqual([...out.stdout], bytes(0xff, "password=***\n", 0xfe));
  assert.deepEqual([...out.stderr], bytes(0xfd, "token=***\n"));
  // Valid UTF-8 around the bytes, and a leading byte order mark, are kept as they are too.
  const bom = await sshExecute("h", "printf '\\357\\273\\277\\303\\251\\377\\360\\237\\230\\200'", {
    sshCommand: fake.ssh,
    binary: true,
  });
  assert.deepEqual([...bom.stdout], [0xef, 0xbb, 0xbf, 0xc3, 0xa9, 0xff, 0xf0, 0x9f, 0x98, 0x80]);
  const text = await sshExecute("h", "printf '\\357\\273\\277x'", { sshCommand: fake.ssh });
  assert.equal(text.stdout, "\uFEFFx");
});

Deno.test("sshExecute() checks the exit code like execute() and masks the error's output", async () => {
  await using fake = await fakeSsh();
  const cmd = "echo secret=s1; exit 3";
  const err = await rejection(sshExecute("h", cmd, { sshCommand: fake.ssh }));
  assert.ok(err instanceof ProcessExecutionError, String(err));
  assert.equal(err.exitCode, 3);
  assert.equal(err.stdout, "secret=***\n");
  assert.match(err.cmd, /BatchMode=yes -- h echo secret=\*\*\* exit 3$/);
  assert.equal(
    (await sshExecute("h", cmd, { sshCommand: fake.ssh, checkExitCode: false })).stdout,
    "secret=***\n",
  );
  await sshExecute("h", cmd, { sshCommand: fake.ssh, checkExitCode: [0, 3] });
});

Deno.test("sshExecute() reports ssh's own failure (exit 255) as such", async () => {
  await using fake = await fakeSsh();
  const err = await rejection(sshExecute("unreachable", "true", { sshCommand: fake.ssh }));
  assert.ok(err instanceof ProcessExecutionError, String(err));
  assert.equal(err.exitCode, 255);
  assert.match(err.message, /^ssh exited with 255: the connection or login failed/);
  assert.match(err.stderr, /Connection refused/);
  assert.ok(err.cause instanceof ProcessExecutionError);
});

Deno.test("sshExecute() timeout kills the ssh client's process group", async () => {
  await using fake = await fakeSsh();
  // A FakeClock timeout, so a loaded machine cannot expire it before the remote sleep exists.
  using clock = new FakeClock();
  const running = rejection(sshExecute("h", `sleep 30 & echo $! > ${fake.dir}/pid; wait`, {
    sshCommand: fake.ssh,
    timeout: 1000,
    clock,
  }));
  const grandchild = await readPid(`${fake.dir}/pid`);
  assert.ok(await isRunning(grandchild));
  await clock.tickAsync(1000);
  const err = await running;
  assert.ok(err instanceof ProcessTimeoutError, String(err));
  assert.equal(err.timeout, 1000);
  await waitFor(async () => !await isRunning(grandchild), "the remote sleep to be gone", 10_000);
});

Deno.test("sshExecute() stops on abort and forwards input to the remote command", async () => {
  await using fake = await fakeSsh();
  const { stdout } = await sshExecute("h", "cat", { sshCommand: fake.ssh, input: "piped in" });
  assert.equal(stdout, "piped in");
  const controller = new AbortController();
  const running = rejection(sshExecute("h", "sleep 30", {
    sshCommand: fake.ssh,
    signal: controller.signal,
  }));
  await waitFor(async () => (await fake.args().catch(() => [])).length > 0, "ssh to start");
  controller.abort(new Error("stop"));
  const err = await running;
  assert.ok(err instanceof Error && err.message === "stop", String(err));
});

Deno.test("sshExecute() logs 'Running cmd (SSH)' masked at loglevel", async () => {
  await using fake = await fakeSsh();
  const lines = await withLogLines(async (lines) => {
    await sshExecute("h", "true --password=x", { sshCommand: fake.ssh, loglevel: "info" });
    return [...lines];
  });
  assert.match(
    lines[0]!,
    /^info: Running cmd \(SSH\): .*ssh -o BatchMode=yes -- h true --password=\*\*\*$/,
  );
  assert.match(lines[1]!, /^info: CMD ".*" returned: 0 in /);
});

Deno.test("sshExecute() rejects hostile arguments before starting ssh", async () => {
  await using fake = await fakeSsh();
  const o = { sshCommand: fake.ssh };
  const bad: [() => unknown, RegExp][] = [
    [() => sshExecute("-oProxyCommand=touch /tmp/x", "true", o), /'destination' must be a host/],
    [() => sshExecute("", "true", o), /'destination' must be a non-empty string/],
    [() => sshExecute("a b", "true", o), /'destination' must be a host/],
    [() => sshExecute("h\0", "true", o), /'destination' must be a host/],
    [() => sshExecute("h", "", o), /'cmd' must be a non-empty command/],
    [() => sshExecute("h", [], o), /'cmd' must be a non-empty command/],
    [() => sshExecute("h", "echo \0", o), /'cmd' must be free of NUL/],
    [() => sshExecute("h", "true", { ...o, env: { A: "1" } } as never), /'env' is not supported/],
    [() => sshExecute("h", "true", { ...o, sshArgs: "-v" as never }), /'sshArgs'/],
    // execute()'s options that sshExecute() does not take were ignored without a word.
    [
      () => sshExecute("h", "true", { ...o, attempts: 3 } as never),
      /^Cannot ssh execute as 'options' has the unknown field 'attempts' \(known: sshArgs, /,
    ],
    [() => sshExecute("h", "true", { ...o, cwd: "/tmp" } as never), /unknown field 'cwd'/],
    [
      () => sshExecute("h", "true", { ...o, timeout: -1 }),
      /'timeout' must be a number > 0: current value is number -1$/,
    ],
  ];
  for (const [call, message] of bad) {
    assert.throws(call, (e: unknown) => {
      assert.ok(e instanceof TypeError || e instanceof RangeError, String(e));
      assert.match(e.message, message);
      return true;
    });
  }
  await assert.rejects(Deno.stat(`${fake.dir}/args`), Deno.errors.NotFound); // never started
});
