// Config reports through the logger it is given; without one, warnings and info go to the console
// and debug lines are dropped. config/ imports nothing from other fjord folders.

import assert from "node:assert/strict";
import { Config, logOptions, strOpt } from "../../config/mod.ts";
import { captureConfigLog, tempDir } from "./_helpers.ts";

Deno.test("Config reports deprecated names and mutate() changes to the logger it was given", async () => {
  await using dir = await tempDir();
  const file = await dir.write("a.conf", "[DEFAULT]\nold_name = 1\nm = a\n");
  const log = captureConfigLog();
  const conf = new Config({ logger: log.logger });
  conf.registerOpts([
    strOpt("new_name", { deprecatedName: "old_name" }),
    strOpt("m", { mutable: true }),
  ]);
  await conf.load({ files: [file] });
  await Deno.writeTextFile(file, "[DEFAULT]\nold_name = 1\nm = b\n");
  await conf.mutate();
  assert.deepEqual(log.lines, [
    'WARNING Option "old_name" from group "DEFAULT" is deprecated. Use option "new_name" from group "DEFAULT".',
    "INFO Option [DEFAULT] m changed from [a] to [b]",
  ]);
});

Deno.test("Config without a logger warns on stderr and drops debug lines", async () => {
  await using dir = await tempDir();
  const file = await dir.write("a.conf", "[DEFAULT]\nold_name = 1\n");
  const mod = new URL("../../config/mod.ts", import.meta.url).href;
  const code = `
    import { Config, consoleConfigLogger, logOptions, strOpt } from ${JSON.stringify(mod)};
    const conf = new Config();
    if (conf.logger !== consoleConfigLogger) throw new Error("not the default");
    conf.registerOpt(strOpt("new_name", { deprecatedName: "old_name" }));
    await conf.load({ files: [${JSON.stringify(file)}] });
    logOptions(conf);
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-check", code],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  assert.equal(new TextDecoder().decode(out.stdout), ""); // no debug dump
  assert.match(stderr, /^WARNING fjord: Option "old_name" from group "DEFAULT" is deprecated/);
  assert.equal(stderr.trim().split("\n").length, 1);
});

Deno.test("Config.logger can be replaced; a logger without its methods is a TypeError", () => {
  const conf = new Config();
  const log = captureConfigLog();
  conf.logger = log.logger;
  conf.registerOpt(strOpt("x", { default: "1" }));
  logOptions(conf);
  assert.ok(log.lines.includes("DEBUG x = 1"));
  const other = captureConfigLog();
  logOptions(conf, { logger: other.logger });
  assert.ok(other.lines.includes("DEBUG x = 1"));
  assert.throws(() => new Config({ logger: {} as never }), /'logger.debug' must be a function/);
  assert.throws(
    () => (conf.logger = { debug(): void {}, info(): void {} } as never),
    /'logger.warning' must be a function/,
  );
  assert.throws(() => new Config(null as never), TypeError);
  assert.throws(() => logOptions(conf, { logger: {} as never }), TypeError);
  assert.equal(conf.logger, log.logger); // unchanged by the failed set
});

Deno.test("config/ imports nothing from other fjord folders", async () => {
  const root = new URL("../../config/", import.meta.url);
  const offenders: string[] = [];
  for await (const entry of Deno.readDir(root)) {
    if (!entry.name.endsWith(".ts")) continue;
    const text = await Deno.readTextFile(new URL(entry.name, root));
    // Code only: statements starting a line (the JSDoc examples start with ` * `).
    const specifiers = [
      ...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"/gm),
      ...text.matchAll(/\bimport\(\s*["'`]([^"'`]+)/g),
    ].map((m) => m[1]!);
    for (const s of specifiers) {
      if (!s.startsWith("./") && !s.startsWith("node:")) offenders.push(`${entry.name}: ${s}`);
    }
  }
  assert.deepEqual(offenders, []);
});
