import assert from "node:assert/strict";
import { onReady } from "@fjord/fjord";
import { DEFAULT_FLAGS, Run, waitFor } from "./_launcher_helpers.ts";

// onReady() needs --unstable-net, which the test run does not have: each wait runs in a child
// (tests/service/_fixtures/on_ready.ts) with the flag, against a real socket and real senders.
const FIXTURE = new URL("./_fixtures/on_ready.ts", import.meta.url).href;
// Deno asks net permission for unix sockets too.
const UNSTABLE = [...DEFAULT_FLAGS, "--unstable-net", "--allow-net"];

interface Outcome {
  listening?: true;
  result?: number;
  error?: string;
  message?: string;
}

/** One onReady() call in a child process. */
class Waiter implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  #stdout = "";
  #status: Promise<{ code: number; at: number }>;

  constructor(address: string, timeout: number | "none", opts: {
    abortAfter?: number;
    flags?: string[];
  } = {}) {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...(opts.flags ?? UNSTABLE),
        FIXTURE,
        address,
        String(timeout),
        ...(opts.abortAfter === undefined ? [] : [String(opts.abortAfter)]),
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.child = child;
    const io = (async () => {
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
        this.#stdout += chunk;
      }
    })();
    this.#status = this.child.status.then(async (s) => {
      const at = performance.now();
      await io;
      return { code: s.code, at };
    });
  }

  outcomes(): Outcome[] {
    return this.#stdout.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
  }

  /** Waits until the child's socket is bound. */
  listening(): Promise<void> {
    return waitFor(() => this.outcomes().some((o) => o.listening), "onReady() to listen");
  }

  /**
   * Waits for the outcome, then for the child to end by itself (it never calls Deno.exit, so a
   * timer or socket op left behind would keep it running).
   */
  async outcome(): Promise<Outcome & { at: number }> {
    // Well within the waits' 120 s timeout: a result that waits for the timer fails here.
    await waitFor(() => this.outcomes().some((o) => !o.listening), "onReady()'s outcome", 30_000);
    const printedAt = performance.now();
    const status = await Promise.race([
      this.#status,
      new Promise<undefined>((r) => {
        const t = setTimeout(() => r(undefined), 15_000);
        void this.#status.then(() => clearTimeout(t));
      }),
    ]);
    assert.ok(status !== undefined, "the child did not end by itself after onReady() settled");
    assert.ok(status.at - printedAt < 15_000);
    assert.equal(status.code, 0);
    return { ...this.outcomes().find((o) => !o.listening)!, at: printedAt };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await this.#status;
  }
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** The paths of the bound unix sockets (abstract ones with a leading `@`), from the kernel. */
async function unixSockets(): Promise<string[]> {
  // Deno reads /proc only with --allow-all; `cat` needs only --allow-run.
  const out = await new Deno.Command("cat", { args: ["/proc/net/unix"], stdout: "piped" }).output();
  return new TextDecoder().decode(out.stdout).split("\n").slice(1).map((l) =>
    l.trim().split(/\s+/)[7] ?? ""
  );
}

/** Sends one datagram from a non-Deno process (as systemd-notify or a Python service would). */
async function sendFromPython(address: string, message: string): Promise<void> {
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [
      "-c",
      "import socket, sys\n" +
      "a = sys.argv[1]\n" +
      "a = '\\0' + a[1:] if a.startswith('@') else a\n" +
      "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n" +
      "s.sendto(sys.argv[2].encode(), a)\n",
      address,
      message,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fjord-onready-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("onReady() resolves 0 when a real ServiceLauncher sends READY=1, and removes its socket", async () => {
  await withDir(async (dir) => {
    const socket = `${dir}/notify.sock`;
    await using waiter = new Waiter(socket, 120_000);
    await waiter.listening();
    assert.ok(exists(socket));
    await using run = await Run.start(
      { backend: "cooperative", launcher: "service" },
      // No systemd-notify on PATH: the launcher must send the datagram itself.
      { flags: UNSTABLE, env: { NOTIFY_SOCKET: socket, PATH: dir } },
    );
    const outcome = await waiter.outcome();
    assert.equal(outcome.result, 0);
    // READY=1 comes once the service started.
    assert.equal(run.count("start"), 1);
    assert.equal(exists(socket), false);
    run.kill("SIGTERM");
    assert.equal((await run.exit()).code, 0);
  });
});

Deno.test("onReady() on an abstract @address resolves 0 for a ProcessLauncher's READY=1", async () => {
  const address = `@fjord-onready-${Deno.pid}-${crypto.randomUUID()}`;
  await using waiter = new Waiter(address, 120_000);
  await waiter.listening();
  // In the abstract namespace: listed by the kernel, and no file of that name anywhere.
  assert.ok((await unixSockets()).includes(address), `${address} is not an abstract socket`);
  assert.equal(exists(address), false);
  await using run = await Run.start(
    { backend: "cooperative", launcher: "process", isolation: "worker", workers: 2 },
    { flags: UNSTABLE, env: { NOTIFY_SOCKET: address, PATH: "/nonexistent" } },
  );
  assert.equal((await waiter.outcome()).result, 0);
  // READY=1 comes once every worker started.
  assert.equal(run.count("start"), 2);
  run.kill("SIGTERM");
  assert.equal((await run.exit()).code, 0);
});

Deno.test("onReady() resolves 1 for any message other than exactly READY=1", async () => {
  await withDir(async (dir) => {
    for (const [i, message] of ["STATUS=starting", "READY=1\n", "ready=1"].entries()) {
      const socket = `${dir}/notify-${i}.sock`;
      await using waiter = new Waiter(socket, 120_000);
      await waiter.listening();
      await sendFromPython(socket, message);
      assert.equal((await waiter.outcome()).result, 1, JSON.stringify(message));
      assert.equal(exists(socket), false);
    }
  });
});

Deno.test("onReady() resolves 2 once the timeout passes without a message", async () => {
  await withDir(async (dir) => {
    const socket = `${dir}/notify.sock`;
    await using waiter = new Waiter(socket, 300);
    const started = performance.now();
    await waiter.listening();
    const outcome = await waiter.outcome();
    assert.equal(outcome.result, 2);
    assert.ok(outcome.at - started >= 250, `timed out after ${outcome.at - started} ms`);
    assert.equal(exists(socket), false);
  });
});

Deno.test("onReady() rejects with the signal's reason when aborted, leaving nothing behind", async () => {
  await withDir(async (dir) => {
    const socket = `${dir}/notify.sock`;
    await using waiter = new Waiter(socket, "none", { abortAfter: 200 });
    await waiter.listening();
    assert.equal((await waiter.outcome()).error, "AbortError");
    assert.equal(exists(socket), false);
  });
});

Deno.test("onReady() without --unstable-net rejects with NotCapable naming the flag", async () => {
  await withDir(async (dir) => {
    const socket = `${dir}/notify.sock`;
    await using waiter = new Waiter(socket, 1000, { flags: DEFAULT_FLAGS });
    const outcome = await waiter.outcome();
    assert.equal(outcome.error, "NotCapable");
    assert.match(outcome.message!, /--unstable-net/);
    assert.equal(exists(socket), false);
  });
});

Deno.test("onReady() does not take over a path that already exists", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/taken`;
    await Deno.writeTextFile(path, "not a socket");
    await using waiter = new Waiter(path, 1000);
    assert.equal((await waiter.outcome()).error, "AddrInUse");
    assert.equal(await Deno.readTextFile(path), "not a socket");
  });
});

Deno.test("onReady() throws for bad arguments, rejects for an aborted signal, before binding anything", async () => {
  assert.throws(() => onReady(""), TypeError);
  assert.throws(() => onReady("@"), TypeError);
  assert.throws(() => onReady(42 as unknown as string), TypeError);
  assert.throws(() => onReady("/tmp/x.sock", null as unknown as undefined), {
    name: "TypeError",
    message: /'options' must be an object/,
  });
  assert.throws(() => onReady("/tmp/x.sock", { timeout: -1 }), RangeError);
  assert.throws(() => onReady("/tmp/x.sock", { timeout: NaN }), RangeError);
  assert.throws(() => onReady("/tmp/x.sock", { timeout: "1" as unknown as number }), TypeError);
  assert.throws(() => onReady("/tmp/x.sock", { signal: {} as AbortSignal }), TypeError);
  const reason = new Error("stop");
  await assert.rejects(onReady("/tmp/x.sock", { signal: AbortSignal.abort(reason) }), reason);
});

Deno.test("onReady: 'timeout' is described by type (TypeError for the string 1, RangeError for -1)", () => {
  assert.throws(() => onReady("/tmp/x.sock", { timeout: "1" as unknown as number }), {
    name: "TypeError",
    message:
      "Cannot wait for READY=1 as 'timeout' must be a number of ms >= 0: current value is string 1",
  });
  assert.throws(() => onReady("/tmp/x.sock", { timeout: -1 }), {
    name: "RangeError",
    message: /'timeout' must be a number of ms >= 0: current value is number -1$/,
  });
  assert.throws(() => onReady("", {}), {
    name: "TypeError",
    message: /'notifySocket' must be a socket path or "@name": current value is an empty string$/,
  });
});
