import assert from "node:assert/strict";
import { SignalHandler } from "../../backends/mod.ts";
import { captureLog, waitFor } from "../_util.ts";

const SCRIPT = new URL("./_fixtures/signal_script.ts", import.meta.url);

async function runScript(mode: string): Promise<Deno.CommandOutput> {
  // A script that does not end by itself is killed, so its test fails instead of hanging.
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 60_000);
  try {
    return await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-lock", "--allow-read", SCRIPT.pathname, mode],
      stdout: "piped",
      stderr: "piped",
      signal: controller.signal,
    }).output();
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("SignalHandler.add() runs the handler when the signal arrives", async () => {
  const handler = new SignalHandler();
  const got: Deno.Signal[] = [];
  using _sub = handler.add("SIGUSR1", (sig) => got.push(sig));
  Deno.kill(Deno.pid, "SIGUSR1");
  await waitFor(() => got.length >= 1, "SIGUSR1 to be handled");
  assert.equal(got[0], "SIGUSR1");
});

Deno.test("SignalHandler runs a signal's handlers most recent first", async () => {
  const handler = new SignalHandler();
  const order: string[] = [];
  using _a = handler.add("SIGUSR1", () => order.push("first"));
  using _b = handler.add("SIGUSR1", () => order.push("second"));
  using _c = handler.add("SIGUSR1", () => order.push("third"));
  Deno.kill(Deno.pid, "SIGUSR1");
  // Signals may coalesce: wait for one full round, then check its order.
  await waitFor(() => order.length >= 3, "all three handlers");
  assert.deepEqual(order.slice(0, 3), ["third", "second", "first"]);
});

Deno.test("SignalHandler.add() returns a Disposable that removes only that handler", async () => {
  const handler = new SignalHandler();
  const calls: string[] = [];
  using _keep = handler.add("SIGUSR1", () => calls.push("keep"));
  const sub = handler.add("SIGUSR1", () => calls.push("gone"));
  sub[Symbol.dispose]();
  sub[Symbol.dispose](); // twice is a no-op
  Deno.kill(Deno.pid, "SIGUSR1");
  await waitFor(() => calls.length >= 1, "the remaining handler");
  assert.deepEqual([...new Set(calls)], ["keep"]);
});

Deno.test("SignalHandler.add() logs a throwing handler and still runs the others", async () => {
  using log = captureLog();
  const handler = new SignalHandler();
  let ran = false;
  using _a = handler.add("SIGUSR1", () => ran = true);
  using _b = handler.add("SIGUSR1", () => {
    throw new Error("handler broke");
  });
  Deno.kill(Deno.pid, "SIGUSR1");
  await waitFor(() => ran, "the second handler");
  assert.ok(log.messages("error").includes("Signal handler for SIGUSR1 failed"));
});

Deno.test("SignalHandler.clear() removes every handler", async () => {
  const handler = new SignalHandler();
  const other = new SignalHandler();
  const calls: string[] = [];
  handler.add("SIGUSR1", () => calls.push("cleared"));
  handler.add("SIGUSR2", () => calls.push("cleared2"));
  using _o = other.add("SIGUSR1", () => calls.push("other"));
  handler.clear();
  handler.clear();
  Deno.kill(Deno.pid, "SIGUSR1");
  await waitFor(() => calls.length >= 1, "the other instance's handler");
  assert.deepEqual([...new Set(calls)], ["other"]);
});

Deno.test("SignalHandler releases the OS listener with the last handler (dispose and clear)", async () => {
  for (const mode of ["dispose", "clear"]) {
    const out = await runScript(mode);
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(
      out.signal,
      "SIGUSR1",
      `${mode}: ${stdout} ${new TextDecoder().decode(out.stderr)}`,
    );
    assert.equal(stdout, "");
  }
});

Deno.test("SignalHandler does not keep a script alive", async () => {
  const t0 = performance.now();
  const out = await runScript("idle");
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.equal(new TextDecoder().decode(out.stdout), "registered\n");
  // The script ends by itself; well under the harness's timeouts even on a loaded machine.
  assert.ok(performance.now() - t0 < 30_000);
});

Deno.test("SignalHandler.isSignalSupported() knows this OS's signals", () => {
  const handler = new SignalHandler();
  assert.equal(handler.isSignalSupported("SIGTERM"), true);
  assert.equal(handler.isSignalSupported("SIGHUP"), true);
  assert.equal(handler.isSignalSupported("SIGKILL"), false);
  assert.equal(handler.isSignalSupported("SIGSTOP"), false);
  assert.equal(handler.isSignalSupported("SIGNOPE"), false);
  if (Deno.build.os === "linux") {
    assert.equal(handler.isSignalSupported("SIGPWR"), true);
    assert.equal(handler.isSignalSupported("SIGINFO"), false);
  }
});

Deno.test("SignalHandler.add() rejects unsupported signals and non-functions", () => {
  const handler = new SignalHandler();
  assert.throws(() => handler.add("SIGKILL" as Deno.Signal, () => {}), {
    name: "TypeError",
    message: `Cannot add signal handler as signal 'SIGKILL' is not supported on ${Deno.build.os}`,
  });
  assert.throws(() => handler.add("SIGUSR1", "nope" as unknown as () => void), {
    name: "TypeError",
    message:
      "Cannot add signal handler as 'handler' must be a function: current value is string nope",
  });
});

Deno.test("SignalHandler runs a signal's handlers most recent first across instances, as oslo's singleton", async () => {
  // Each instance used to bind its own OS listener, so handlers ran in the order of the
  // instances' first additions: h1, h2, h1 ran "third", "first", "second".
  const h1 = new SignalHandler();
  const h2 = new SignalHandler();
  const order: string[] = [];
  using _a = h1.add("SIGUSR2", () => order.push("first"));
  using _b = h2.add("SIGUSR2", () => order.push("second"));
  using _c = h1.add("SIGUSR2", () => order.push("third"));
  Deno.kill(Deno.pid, "SIGUSR2");
  await waitFor(() => order.length >= 3, "all three handlers");
  assert.deepEqual(order.slice(0, 3), ["third", "second", "first"]);
});

Deno.test("SignalHandler logs an async handler's rejection and still runs the others", async () => {
  // The rejection used to be unhandled: it ended the process ("Uncaught (in promise)").
  using log = captureLog();
  const handler = new SignalHandler();
  let ran = false;
  using _a = handler.add("SIGUSR1", () => ran = true);
  using _b = handler.add("SIGUSR1", async () => {
    await Promise.resolve();
    throw new Error("async handler broke");
  });
  Deno.kill(Deno.pid, "SIGUSR1");
  await waitFor(
    () => ran && log.messages("error").includes("Signal handler for SIGUSR1 failed"),
    "the other handler and the logged rejection",
  );
});
