import assert from "node:assert/strict";
import { consoleLogger, getLogger, type Logger, setLogger } from "../../backends/mod.ts";

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
    /'logger.error' is not a function/,
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
