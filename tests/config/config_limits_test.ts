// Substitution is capped by depth (32) and size (1 Mi characters): a bomb fails with a typed
// ConfigValueError without growing memory; every error message quotes at most ~200 characters of
// any key or value.

import assert from "node:assert/strict";
import {
  Config,
  ConfigFileNotFoundError,
  ConfigFileParseError,
  ConfigFileReadError,
  ConfigSubstitutionError,
  ConfigValueError,
  DuplicateOptError,
  intOpt,
  multiStrOpt,
  NoSuchOptError,
  parseIni,
  RequiredOptError,
  strOpt,
} from "../../config/mod.ts";
import { tempDir } from "./_helpers.ts";

// A message may hold a few quoted keys and values, each cut to 200 characters plus a note.
const MESSAGE_BOUND = 1200;

function bomb(levels: number, fanOut: number, leaf: string): string {
  const lines = ["[DEFAULT]"];
  for (let i = 0; i < levels; i++) lines.push(`a${i} = ${`$a${i + 1}`.repeat(fanOut)}`);
  lines.push(`a${levels} = ${leaf}`);
  return lines.join("\n") + "\n";
}

function register(conf: Config, levels: number): void {
  for (let i = 0; i <= levels; i++) conf.registerOpt(strOpt(`a${i}`));
}

Deno.test("Config.load() stops a $a$a$a substitution bomb at 1 Mi characters with a ConfigValueError", async () => {
  await using dir = await tempDir();
  // 4^30 * 64 characters if expanded: far beyond memory.
  const file = await dir.write("bomb.conf", bomb(30, 4, "x".repeat(64)));
  const conf = new Config();
  register(conf, 30);
  const before = Deno.memoryUsage().heapUsed;
  const started = performance.now();
  await assert.rejects(conf.load({ files: [file] }), (error: unknown) => {
    assert.ok(error instanceof ConfigSubstitutionError);
    assert.ok(error instanceof ConfigValueError);
    assert.match(error.reason, /longer than 1048576 characters \(the limit\)/);
    assert.ok(error.message.length < MESSAGE_BOUND, error.message.slice(0, 300));
    return true;
  });
  assert.ok(performance.now() - started < 10_000);
  // Values up to the cap existed for a moment: a few MiB at most, never hundreds.
  assert.ok(Deno.memoryUsage().heapUsed - before < 64 * 1024 * 1024);
  assert.deepEqual(conf.configFiles, []); // nothing applied
});

Deno.test("Config substitution just under the size cap still works", async () => {
  await using dir = await tempDir();
  // 4^5 * 1024 = 1 Mi characters exactly: the limit is inclusive.
  const file = await dir.write("ok.conf", bomb(5, 4, "y".repeat(1024)));
  const conf = new Config();
  register(conf, 5);
  await conf.load({ files: [file] });
  assert.equal(conf.get<string>("a0").length, 1024 * 1024);
  await Deno.writeTextFile(file, bomb(5, 4, "y".repeat(1025)));
  await assert.rejects(conf.reload(), ConfigSubstitutionError);
  assert.equal(conf.get<string>("a0").length, 1024 * 1024); // the failed reload changed nothing
});

Deno.test("Config substitution chains deeper than 32 fail with ConfigSubstitutionError", async () => {
  await using dir = await tempDir();
  const conf = new Config();
  register(conf, 40);
  const ok = await dir.write("ok.conf", bomb(32, 1, "end"));
  await conf.load({ files: [ok] });
  assert.equal(conf.get("a0"), "end");
  const deep = await dir.write("deep.conf", bomb(40, 1, "end"));
  await assert.rejects(conf.load({ files: [deep] }), (error: unknown) => {
    assert.ok(error instanceof ConfigSubstitutionError);
    assert.match(error.reason, /nested more than 32 deep \(the limit\)/);
    return true;
  });
});

Deno.test("Config's substitution depth limit does not depend on the order the options were registered in", async () => {
  await using dir = await tempDir();
  const deep = await dir.write("deep.conf", bomb(40, 1, "end"));
  const ok = await dir.write("ok.conf", bomb(32, 1, "end"));
  for (const order of ["deepest first", "shallowest first"]) {
    const conf = new Config();
    const names = Array.from({ length: 41 }, (_, i) => `a${i}`);
    if (order === "deepest first") names.reverse();
    for (const name of names) conf.registerOpt(strOpt(name));
    // Before, deepest first: the chain was measured in cached pieces, load() passed, and a0
    // failed at its first read after any registerOpt() or setOverride().
    await assert.rejects(conf.load({ files: [deep] }), (error: unknown) => {
      assert.ok(error instanceof ConfigSubstitutionError, `${order}: ${error}`);
      assert.match(error.reason, /nested more than 32 deep/);
      assert.match(error.message, /"\$a\d+"/); // the value, not ""
      return true;
    });
    await conf.load({ files: [ok] });
    conf.registerOpt(strOpt("late"));
    assert.equal(conf.get("a0"), "end", order);
  }
});

Deno.test("Config caps each multiStrOpt item after substitution", () => {
  const conf = new Config();
  conf.registerOpts([strOpt("big", { default: "z".repeat(600_000) })]);
  conf.registerOpt(multiStrOpt("items", { default: ["$big", "$big$big"] }));
  assert.throws(() => conf.get("items"), ConfigSubstitutionError);
});

Deno.test("config error messages quote at most ~200 characters of a key or value", async () => {
  await using dir = await tempDir();
  const long = "k".repeat(100_000);
  const messages: string[] = [];
  const catchMessage = async (fn: () => unknown): Promise<void> => {
    try {
      await fn();
    } catch (error) {
      assert.ok(error instanceof Error);
      messages.push(error.message);
      return;
    }
    assert.fail("expected an error");
  };
  const conf = new Config();
  conf.registerOpt(intOpt("n"));
  conf.registerOpt(strOpt("ref", { default: `$${long}` }));
  await catchMessage(() => conf.get("ref")); // unknown reference
  const bad = await dir.write("bad.conf", `[DEFAULT]\nn = ${long}\n`);
  await catchMessage(() => conf.load({ files: [bad] })); // ConfigValueError
  await catchMessage(() => parseIni(`${long} = 1\n`, long)); // outside a section, long file name
  await catchMessage(() => conf.load({ files: [`/nonexistent/${long}`] })); // name too long
  await catchMessage(() => conf.load({ files: [`/nonexistent/${long.slice(0, 250)}`] }));
  await catchMessage(() => conf.get(long));
  await catchMessage(() => conf.get("n", `g${long}`));
  await catchMessage(() => conf.get("n", `]${long}`)); // TypeError: bad group name
  await catchMessage(() => conf.load({ args: ["--config-file"] }));
  await catchMessage(() => conf.load({ args: [`--config-file=${long}`] }));
  conf.registerOpt(strOpt(long, { required: true }));
  await catchMessage(() => conf.get(long));
  await catchMessage(() => conf.registerOpt(intOpt(long)));
  assert.equal(messages.length, 12);
  for (const m of messages) assert.ok(m.length < MESSAGE_BOUND, `${m.length}: ${m.slice(0, 300)}`);
  // The facts stay whole in the fields.
  const file = await dir.write("v.conf", `[DEFAULT]\nn = ${long}\n`);
  await assert.rejects(conf.load({ files: [file] }), (e: unknown) => {
    assert.ok(e instanceof ConfigValueError && e.value === long);
    return true;
  });
  assert.ok(new ConfigFileNotFoundError(long).file === long);
  assert.ok(new ConfigFileParseError(long, 1, "r").message.length < MESSAGE_BOUND);
  assert.ok(new RequiredOptError(long, long).message.length < MESSAGE_BOUND);
  assert.ok(new NoSuchOptError(long, long).message.length < MESSAGE_BOUND);
  assert.ok(new DuplicateOptError(long, long, "differs").message.length < MESSAGE_BOUND);
});

Deno.test("Config.load() rejects a directory given as a file and a file given as a directory with ConfigFileReadError", async () => {
  await using dir = await tempDir();
  const file = await dir.write("a.conf", "[DEFAULT]\n");
  const conf = new Config();
  for (const args of [["--config-file", dir.path], ["--config-dir", file]]) {
    await assert.rejects(conf.load({ args }), (error: unknown) => {
      assert.ok(error instanceof ConfigFileReadError, String(error));
      assert.equal(error.file, args[1]);
      assert.ok(error.cause instanceof Error);
      return true;
    });
  }
});
