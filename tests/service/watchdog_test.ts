import assert from "node:assert/strict";
import { DEFAULT_FLAGS, Run, waitFor } from "./_launcher_helpers.ts";
import { watchdogInterval } from "../../service/_watchdog.ts";
import { captureLog } from "../_util.ts";

// A real unix datagram socket standing in for systemd's $NOTIFY_SOCKET: each message received is
// appended to a file as "<epoch ms> <message>".
const RECEIVER = `
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
out = open(sys.argv[2], "a", buffering=1)
while True:
    data = s.recv(512)
    out.write("%d %s\\n" % (time.time() * 1000, data.decode()))
`;

interface Received {
  t: number;
  msg: string;
}

async function withReceiver(
  fn: (socket: string, received: () => Received[], dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fjord-notify-" });
  const socket = `${dir}/notify.sock`;
  const log = `${dir}/received.log`;
  const py = new Deno.Command("/usr/bin/python3", {
    args: ["-c", RECEIVER, socket, log],
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const received = (): Received[] => {
    try {
      return Deno.readTextFileSync(log).trim().split("\n").filter(Boolean).map((l) => {
        const i = l.indexOf(" ");
        return { t: Number(l.slice(0, i)), msg: l.slice(i + 1) };
      });
    } catch {
      return [];
    }
  };
  try {
    await waitFor(() => {
      try {
        Deno.statSync(socket);
        return true;
      } catch {
        return false;
      }
    }, "the receiver's socket");
    await fn(socket, received, dir);
  } finally {
    py.kill("SIGKILL");
    await py.status;
    await Deno.remove(dir, { recursive: true });
  }
}

const FLAGS = [...DEFAULT_FLAGS, "--unstable-net"];

Deno.test("ProcessLauncher pings WATCHDOG=1 every WATCHDOG_USEC / 2 to a real NOTIFY_SOCKET", async () => {
  await withReceiver(async (socket, received) => {
    await using run = await Run.start(
      { backend: "cooperative", launcher: "process", isolation: "worker", workers: 2 },
      { flags: FLAGS, env: { NOTIFY_SOCKET: socket, WATCHDOG_USEC: "200000" } },
    );
    await waitFor(
      () => received().filter((r) => r.msg === "WATCHDOG=1").length >= 8,
      "8 watchdog pings",
    );
    run.kill("SIGTERM");
    assert.equal((await run.exit()).code, 0);
    const got = received();
    assert.ok(got.some((r) => r.msg === "READY=1"));
    assert.ok(got.some((r) => r.msg === "STOPPING=1"));
    const pings = got.filter((r) => r.msg === "WATCHDOG=1").map((r) => r.t);
    const gaps = pings.slice(1).map((t, i) => t - pings[i]!);
    const median = gaps.sort((a, b) => a - b)[Math.floor(gaps.length / 2)]!;
    // 100 ms apart (generous bounds for a loaded machine).
    assert.ok(median >= 80 && median <= 300, `median gap ${median} ms`);
  });
});

Deno.test("ServiceLauncher pings the watchdog too; nobody pings when WATCHDOG_PID is another process", async () => {
  await withReceiver(async (socket, received) => {
    await using run = await Run.start(
      { backend: "cooperative", launcher: "service" },
      { flags: FLAGS, env: { NOTIFY_SOCKET: socket, WATCHDOG_USEC: "100000" } },
    );
    await waitFor(
      () => received().filter((r) => r.msg === "WATCHDOG=1").length >= 3,
      "3 watchdog pings",
    );
    run.kill("SIGTERM");
    assert.equal((await run.exit()).code, 0);
  });
  await withReceiver(async (socket, received) => {
    await using run = await Run.start(
      { backend: "cooperative", launcher: "process", isolation: "worker", workers: 1 },
      { flags: FLAGS, env: { NOTIFY_SOCKET: socket, WATCHDOG_USEC: "100000", WATCHDOG_PID: "1" } },
    );
    await waitFor(() => received().some((r) => r.msg === "READY=1"), "READY=1");
    await new Promise((r) => setTimeout(r, 400));
    run.kill("SIGTERM");
    assert.equal((await run.exit()).code, 0);
    assert.equal(received().filter((r) => r.msg === "WATCHDOG=1").length, 0);
  });
});

Deno.test("ProcessLauncher stops pinging the watchdog while a worker waits out a restart back-off", async () => {
  await withReceiver(async (socket, received) => {
    await using run = await Run.start(
      {
        backend: "cooperative",
        launcher: "process",
        isolation: "worker",
        workers: 1,
        service: { mode: "start-throws" },
        restart: { maxRestarts: 100, backoff: { initial: 1_500, max: 1_500 } },
      },
      { flags: FLAGS, env: { NOTIFY_SOCKET: socket, WATCHDOG_USEC: "100000" } },
    );
    // Two failed starts (the first restart is immediate), then 1.5 s of back-off.
    await run.waitEvents("start-failed", 2);
    const t = run.events().filter((e) => e.event === "start-failed")[1]!.t;
    await new Promise((r) => setTimeout(r, 1_200));
    run.kill("SIGINT");
    await run.exit();
    assert.ok(received().some((r) => r.msg === "WATCHDOG=1" && r.t <= t), "pinged while healthy");
    // Allow one ping already on its way when the death was noticed.
    const during = received().filter((r) =>
      r.msg === "WATCHDOG=1" && r.t > t + 100 && r.t < t + 1_100
    );
    assert.deepEqual(during, []);
  });
});

Deno.test("WATCHDOG_USEC is read as systemd reads it: digits only", () => {
  using log = captureLog();
  const saved = { usec: Deno.env.get("WATCHDOG_USEC"), pid: Deno.env.get("WATCHDOG_PID") };
  Deno.env.delete("WATCHDOG_PID");
  try {
    Deno.env.set("WATCHDOG_USEC", "2000000");
    assert.equal(watchdogInterval(), 1000);
    // Number() reads these; systemd does not ("1e3" was a ping every 0.5 ms).
    for (const usec of ["1e3", "0x10", " 2000000", "2000000.5", "-5", "0"]) {
      Deno.env.set("WATCHDOG_USEC", usec);
      assert.equal(watchdogInterval(), undefined, usec);
    }
    assert.equal(log.lines.filter((l) => l.startsWith("Ignoring WATCHDOG_USEC")).length, 6);
  } finally {
    if (saved.usec === undefined) Deno.env.delete("WATCHDOG_USEC");
    else Deno.env.set("WATCHDOG_USEC", saved.usec);
    if (saved.pid !== undefined) Deno.env.set("WATCHDOG_PID", saved.pid);
  }
});
