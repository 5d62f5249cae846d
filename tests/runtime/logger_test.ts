import assert from "node:assert/strict";
import { consoleLogger, getLogger, type Logger, setLogger } from "../../backends/mod.ts";
import { isLogOrigin, jsonLogger } from "../../runtime/logger.ts";
import { makeLogOrigin } from "../../runtime/_log_origin.ts";

Deno.test("setLogger() routes every level to the new logger", () => {
  const lines: string[] = [];
  const logger: Logger = {
    debug: (m) => lines.push(`d:${m}`),
    info: (m) => lines.push(`i:${m}`),
    warning: (m) => lines.push(`w:${m}`),
    error: (m, ...d) => lines.push(`e:${m}:${d.length}`),
  };
  setLogger(logger);
  try {
    assert.equal(getLogger(), logger);
    getLogger().debug("a");
    getLogger().info("b");
    getLogger().warning("c");
    getLogger().error("d", new Error("x"), 1);
  } finally {
    setLogger(consoleLogger);
  }
  assert.deepEqual(lines, ["d:a", "i:b", "w:c", "e:d:2"]);
  assert.equal(getLogger(), consoleLogger);
});

Deno.test("setLogger() rejects a logger missing a level", () => {
  assert.throws(
    () => setLogger({ debug(): void {}, info(): void {}, warning(): void {} } as unknown as Logger),
    /^TypeError: Cannot set logger as 'logger.error' must be a function: current value is undefined$/,
  );
  assert.equal(getLogger(), consoleLogger);
});

Deno.test("the console logger hides debug lines unless FJORD_LOG_LEVEL=debug", async () => {
  const script = `import { getLogger } from "${new URL("../../mod.ts", import.meta.url).href}";
    getLogger().debug("dbg-line"); getLogger().info("info-line"); getLogger().warning("warn-line");`;
  const run = async (env: Record<string, string>): Promise<string> => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", script],
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0);
    const dec = new TextDecoder();
    return dec.decode(out.stdout) + dec.decode(out.stderr);
  };
  const quiet = await run({});
  assert.doesNotMatch(quiet, /dbg-line/);
  assert.match(quiet, /INFO fjord: info-line/);
  assert.match(quiet, /WARNING fjord: warn-line/);
  const verbose = await run({ FJORD_LOG_LEVEL: "debug" });
  assert.match(verbose, /DEBUG fjord: dbg-line/);
  const errorsOnly = await run({ FJORD_LOG_LEVEL: "error" });
  assert.doesNotMatch(errorsOnly, /info-line|warn-line/);
});

Deno.test("a logger given with only warning() also answers warn(), and the reverse", () => {
  const lines: string[] = [];
  const push = (m: string): void => void lines.push(m);
  try {
    setLogger({ debug: push, info: push, warning: (m) => lines.push(`w:${m}`), error: push });
    getLogger().warn("a");
    setLogger(
      {
        debug: push,
        info: push,
        warn: (m: string) => void lines.push(`W:${m}`),
        error: push,
      } as unknown as Logger,
    );
    getLogger().warning("b");
  } finally {
    setLogger(consoleLogger);
  }
  assert.deepEqual(lines, ["w:a", "W:b"]);
});

Deno.test("jsonLogger() writes one JSON line per record, worker fields from a LogOrigin", () => {
  const lines: string[] = [];
  const logger = jsonLogger({ write: (l) => lines.push(l), level: "debug" });
  logger.debug("plain");
  const origin = makeLogOrigin({
    time: "2026-01-02T03:04:05.000Z",
    workerId: 2,
    pid: 1234,
    isolateId: undefined,
    service: "api",
  });
  logger.error("boom", new TypeError("bad"), origin);
  const [a, b] = lines.map((l) => JSON.parse(l));
  assert.equal(a.level, "debug");
  assert.equal(a.message, "plain");
  assert.ok(!Number.isNaN(Date.parse(a.time)));
  assert.equal(b.time, "2026-01-02T03:04:05.000Z");
  assert.deepEqual([b.level, b.service, b.workerId, b.pid], ["error", "api", 2, 1234]);
  assert.equal(b.details[0].name, "TypeError");
  assert.ok(!("isolateId" in b));
});

Deno.test("the console logger puts a worker record's origin on its line", () => {
  const origin = makeLogOrigin({
    time: "2026-01-02T03:04:05.000Z",
    workerId: 1,
    pid: undefined,
    isolateId: 77,
    service: "api",
  });
  assert.ok(isLogOrigin(origin));
  const seen: unknown[][] = [];
  // deno-lint-ignore no-console -- the console sink is what this test watches
  const info = console.info;
  // deno-lint-ignore no-console
  console.info = (...a: unknown[]) => void seen.push(a);
  try {
    consoleLogger.info("hi", origin);
  } finally {
    // deno-lint-ignore no-console
    console.info = info;
  }
  assert.deepEqual(seen, [["2026-01-02T03:04:05.000Z [api worker 1 isolate 77] INFO fjord: hi"]]);
});
