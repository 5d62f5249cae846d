import assert from "node:assert/strict";
import {
  boolOpt,
  Config,
  ConfigFileNotFoundError,
  ConfigFileParseError,
  ConfigSubstitutionError,
  ConfigValueError,
  DuplicateOptError,
  floatOpt,
  intOpt,
  listOpt,
  multiStrOpt,
  NoSuchOptError,
  portOpt,
  RequiredOptError,
  strOpt,
} from "../../config/mod.ts";
import { captureConfigLog, tempDir } from "./_helpers.ts";

function rejectsWith<E extends Error>(
  promise: Promise<unknown>,
  type: new (...args: never[]) => E,
  check: (error: E) => void = () => {},
): Promise<void> {
  return assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    check(error);
    return true;
  });
}

Deno.test("Config.get() returns defaults converted to each type", () => {
  const conf = new Config();
  conf.registerOpts([
    strOpt("s", { default: "x" }),
    intOpt("i", { default: 3 }),
    floatOpt("f", { default: 0.5 }),
    boolOpt("b", { default: true }),
    listOpt("l", { default: ["a"] }),
    multiStrOpt("m"),
    portOpt("p", { default: 80 }),
    strOpt("unset"),
  ]);
  assert.equal(conf.get("s"), "x");
  assert.equal(conf.get("i"), 3);
  assert.equal(conf.get("f"), 0.5);
  assert.equal(conf.get("b"), true);
  assert.deepEqual(conf.get("l"), ["a"]);
  assert.deepEqual(conf.get("m"), []);
  assert.equal(conf.get("p"), 80);
  assert.equal(conf.get("unset"), undefined);
  assert.ok(Object.isFrozen(conf.get("l")));
});

Deno.test("Config.load() converts file values to each option type", async () => {
  await using dir = await tempDir();
  const file = await dir.write(
    "a.conf",
    [
      "[DEFAULT]",
      "s = hello world",
      "i = -42",
      "f = 1.5e3",
      "b1 = Yes",
      "b2 = off",
      "l = a, b ,c,",
      "l_empty =",
      "i_empty =",
      "m = 1",
      "m = 2",
      "p = 65535",
      "",
    ].join("\n"),
  );
  const conf = new Config();
  conf.registerOpts([
    strOpt("s"),
    intOpt("i"),
    floatOpt("f"),
    boolOpt("b1"),
    boolOpt("b2", { default: true }),
    listOpt("l"),
    listOpt("l_empty", { default: ["x"] }),
    intOpt("i_empty", { default: 5 }),
    multiStrOpt("m"),
    portOpt("p"),
  ]);
  await conf.load({ files: [file] });
  assert.equal(conf.get("s"), "hello world");
  assert.equal(conf.get("i"), -42);
  assert.equal(conf.get("f"), 1500);
  assert.equal(conf.get("b1"), true);
  assert.equal(conf.get("b2"), false);
  assert.deepEqual(conf.get("l"), ["a", "b", "c"]);
  assert.deepEqual(conf.get("l_empty"), []);
  // oslo.config reads an empty number as "no value", not as the default.
  assert.equal(conf.get("i_empty"), undefined);
  assert.deepEqual(conf.get("m"), ["1", "2"]);
  assert.equal(conf.get("p"), 65535);
});

Deno.test("Config.load() puts ungrouped options in [DEFAULT] without inheritance between sections", async () => {
  await using dir = await tempDir();
  const file = await dir.write("a.conf", "[DEFAULT]\nx = from-default\n[g]\ny = from-g\n");
  const conf = new Config();
  conf.registerOpt(strOpt("x"));
  conf.registerOpts([strOpt("x"), strOpt("y")], "g");
  conf.registerOpt(strOpt("y"));
  await conf.load({ files: [file] });
  assert.equal(conf.get("x"), "from-default");
  assert.equal(conf.get("x", "DEFAULT"), "from-default");
  assert.equal(conf.get("x", "g"), undefined);
  assert.equal(conf.get("y", "g"), "from-g");
  assert.equal(conf.get("y"), undefined);
});

Deno.test("Config.load() matches sections case-insensitively except DEFAULT, and reads '-' names as '_'", async () => {
  await using dir = await tempDir();
  const file = await dir.write(
    "a.conf",
    "[Oslo_Concurrency]\nlock_path = /l\n[default]\nflag = true\n[DEFAULT]\nfoo_bar = 1\nfoo-bar = 2\n",
  );
  const conf = new Config();
  conf.registerOpt(strOpt("lock_path"), "oslo_concurrency");
  conf.registerOpt(boolOpt("flag", { default: false }));
  conf.registerOpt(intOpt("foo-bar"));
  await conf.load({ files: [file] });
  assert.equal(conf.get("lock_path", "oslo_concurrency"), "/l");
  assert.equal(conf.get("lock_path", "OSLO_CONCURRENCY"), "/l");
  assert.equal(conf.get("flag"), false); // [default] is not [DEFAULT]
  assert.equal(conf.get("foo-bar"), 1); // the file key is foo_bar; foo-bar is unknown
  assert.equal(conf.get("foo_bar"), 1);
});

Deno.test("Config.load() applies sources in order: default < setDefault < dirs < files < override", async () => {
  await using dir = await tempDir();
  await Deno.mkdir(`${dir.path}/conf.d`);
  await dir.write("conf.d/20-b.conf", "[DEFAULT]\nb = dir20\nc = dir20\nd = dir20\n");
  await dir.write("conf.d/10-a.conf", "[DEFAULT]\na = dir10\nb = dir10\nc = dir10\nd = dir10\n");
  await dir.write("conf.d/30-ignored.ini", "[DEFAULT]\na = ignored\n");
  // Hidden files are skipped, as by oslo's glob("*.conf") (an editor's leftover, say).
  await dir.write("conf.d/.00-hidden.conf", "[DEFAULT]\na = hidden\n");
  const f1 = await dir.write("f1.conf", "[DEFAULT]\nc = f1\nd = f1\n");
  const f2 = await dir.write("f2.conf", "[DEFAULT]\nd = f2\n");
  const conf = new Config();
  conf.registerOpts(["a", "b", "c", "d", "e", "f"].map((n) => strOpt(n, { default: "opt" })));
  conf.setDefault("e", "setDefault");
  conf.setOverride("f", "override");
  await conf.load({
    files: [f1],
    dirs: [`${dir.path}/conf.d`],
    args: [`--config-file=${f2}`],
  });
  assert.deepEqual(
    ["a", "b", "c", "d", "e", "f"].map((n) => conf.get(n)),
    ["dir10", "dir20", "f1", "f2", "setDefault", "override"],
  );
  assert.deepEqual(conf.configFiles, [
    `${dir.path}/conf.d/10-a.conf`,
    `${dir.path}/conf.d/20-b.conf`,
    f1,
    f2,
  ]);
  conf.setOverride("d", "forced");
  assert.equal(conf.get("d"), "forced");
  conf.setOverride("d", undefined);
  assert.equal(conf.get("d"), "f2");
  conf.setDefault("e", undefined);
  assert.equal(conf.get("e"), "opt");
});

Deno.test("Config.load() parses --config-file X, --config-file=X and --config-dir, ignoring other args", async () => {
  await using dir = await tempDir();
  const a = await dir.write("a.conf", "[DEFAULT]\nv = a\n");
  const b = await dir.write("b.conf", "[DEFAULT]\nv = b\n");
  const conf = new Config();
  conf.registerOpt(strOpt("v"));
  await conf.load({ args: ["--verbose", "--config-file", a, "positional", `--config-file=${b}`] });
  assert.equal(conf.get("v"), "b");
  assert.deepEqual(conf.configFiles, [a, b]);
  assert.deepEqual(conf.sources, {
    args: ["--verbose", "--config-file", a, "positional", `--config-file=${b}`],
    files: [],
    dirs: [],
  });
});

Deno.test("Config.load() throws TypeError at the call for a flag without a path or bad options", () => {
  const conf = new Config();
  assert.throws(() => conf.load({ args: ["--config-file"] }), TypeError);
  assert.throws(() => conf.load({ args: ["--config-dir="] }), TypeError);
  assert.throws(() => conf.load({ args: ["--config-file", "--config-dir", "x"] }), TypeError);
  assert.throws(() => conf.load({ files: "a.conf" as unknown as string[] }), TypeError);
});

Deno.test("Config.load() rejects with ConfigFileNotFoundError naming a missing file or directory", async () => {
  await using dir = await tempDir();
  const conf = new Config();
  const missing = `${dir.path}/missing.conf`;
  await rejectsWith(conf.load({ files: [missing] }), ConfigFileNotFoundError, (e) => {
    assert.equal(e.file, missing);
    assert.match(e.message, /missing\.conf/);
  });
  await rejectsWith(conf.load({ dirs: [`${dir.path}/nodir`] }), ConfigFileNotFoundError, (e) => {
    assert.equal(e.file, `${dir.path}/nodir`);
  });
});

Deno.test("Config.load() reads a config dir's symlinked .conf files, skips a link to a directory, and fails naming a dangling one", async () => {
  await using dir = await tempDir();
  const target = await dir.write("real.conf", "[DEFAULT]\na = linked\n");
  await Deno.mkdir(`${dir.path}/conf.d`);
  await dir.write("conf.d/10-a.conf", "[DEFAULT]\na = plain\n");
  await Deno.symlink(target, `${dir.path}/conf.d/20-link.conf`);
  await Deno.mkdir(`${dir.path}/sub`);
  await Deno.symlink(`${dir.path}/sub`, `${dir.path}/conf.d/30-dir.conf`);
  const conf = new Config();
  conf.registerOpt(strOpt("a"));
  await conf.load({ dirs: [`${dir.path}/conf.d`] });
  assert.equal(conf.get("a"), "linked");
  // Before, a dangling link was skipped without a word and the config was half read.
  const dangling = `${dir.path}/conf.d/50-override.conf`;
  await Deno.symlink(`${dir.path}/gone.conf`, dangling);
  await rejectsWith(conf.load({ dirs: [`${dir.path}/conf.d`] }), ConfigFileNotFoundError, (e) => {
    assert.equal(e.file, dangling);
  });
});

Deno.test("Config.load() rejects with the parse error naming file and line", async () => {
  await using dir = await tempDir();
  const file = await dir.write("bad.conf", "[DEFAULT]\na = 1\n[oops\n");
  await rejectsWith(new Config().load({ files: [file] }), ConfigFileParseError, (e) => {
    assert.equal(e.file, file);
    assert.equal(e.line, 3);
  });
});

Deno.test("Config.load() ignores unknown sections and keys", async () => {
  await using dir = await tempDir();
  const file = await dir.write("a.conf", "[DEFAULT]\nunknown = 1\nknown = 2\n[other]\nx = bad\n");
  const conf = new Config();
  conf.registerOpt(intOpt("known"));
  await conf.load({ files: [file] });
  assert.equal(conf.get("known"), 2);
  assert.throws(() => conf.get("unknown"), NoSuchOptError);
});

Deno.test("Config.load() collects multiStrOpt values across keys and files; other options take the last", async () => {
  await using dir = await tempDir();
  const a = await dir.write("a.conf", "[DEFAULT]\nm = 1\nm = 2\ns = a1\ns = a2\n");
  const b = await dir.write("b.conf", "[DEFAULT]\nm = 3\n");
  const conf = new Config();
  conf.registerOpts([multiStrOpt("m", { default: ["d"] }), strOpt("s")]);
  await conf.load({ files: [a, b] });
  assert.deepEqual(conf.get("m"), ["1", "2", "3"]);
  assert.equal(conf.get("s"), "a2");
});

Deno.test("Config.load() rejects a bad value with ConfigValueError and keeps the previous state", async () => {
  await using dir = await tempDir();
  const good = await dir.write("good.conf", "[api]\nworkers = 2\nmode = fast\n");
  const bad = await dir.write("bad.conf", "[api]\nworkers = 200\nmode = fast\n");
  const conf = new Config();
  conf.registerOpts([
    intOpt("workers", { min: 1, max: 64 }),
    strOpt("mode", { choices: ["fast", "safe"] }),
  ], "api");
  await conf.load({ files: [good] });
  await rejectsWith(conf.load({ files: [bad] }), ConfigValueError, (e) => {
    assert.equal(e.option, "workers");
    assert.equal(e.group, "api");
    assert.equal(e.value, "200");
    assert.match(e.message, /\[api\] workers.*"200".*>= 1 and <= 64/);
  });
  assert.equal(conf.get("workers", "api"), 2);
  assert.deepEqual(conf.configFiles, [good]);
  assert.deepEqual(conf.sources.files, [good]);
  const badChoice = await dir.write("choice.conf", "[api]\nmode = turbo\n");
  await rejectsWith(conf.load({ files: [badChoice] }), ConfigValueError, (e) => {
    assert.equal(e.value, "turbo");
    assert.match(e.reason, /"fast", "safe"/);
  });
  const notInt = await dir.write("int.conf", "[api]\nworkers = 2.5\n");
  await rejectsWith(
    conf.load({ files: [notInt] }),
    ConfigValueError,
    (e) => assert.match(e.reason, /integer/),
  );
  const notBool = await dir.write("bool.conf", "[DEFAULT]\nflag = maybe\n");
  conf.registerOpt(boolOpt("flag"));
  await rejectsWith(
    conf.load({ files: [notBool] }),
    ConfigValueError,
    (e) => assert.equal(e.value, "maybe"),
  );
});

Deno.test("ConfigValueError shows a secret option's value as ***", async () => {
  await using dir = await tempDir();
  const file = await dir.write("a.conf", "[db]\npin = hunter2\n");
  const conf = new Config();
  conf.registerOpt(intOpt("pin", { secret: true }), "db");
  await rejectsWith(conf.load({ files: [file] }), ConfigValueError, (e) => {
    assert.equal(e.value, "***");
    assert.doesNotMatch(e.message, /hunter2/);
  });
  assert.throws(() => conf.setOverride("pin", "hunter2", "db"), (e: unknown) => {
    assert.ok(e instanceof ConfigValueError);
    assert.doesNotMatch(e.message, /hunter2/);
    return true;
  });
});

Deno.test("Config.load() rejects an unset required option with RequiredOptError", async () => {
  const conf = new Config();
  conf.registerOpt(strOpt("url", { required: true }), "db");
  await rejectsWith(conf.load(), RequiredOptError, (e) => {
    assert.equal(e.option, "url");
    assert.equal(e.group, "db");
  });
  assert.throws(() => conf.get("url", "db"), RequiredOptError);
  conf.setOverride("url", "sqlite://", "db");
  await conf.load();
  assert.equal(conf.get("url", "db"), "sqlite://");
});

Deno.test("Config.get(), setDefault() and setOverride() throw NoSuchOptError for unknown options", () => {
  const conf = new Config();
  conf.registerOpt(strOpt("known"), "g");
  assert.throws(() => conf.get("nope"), (e: unknown) => {
    assert.ok(e instanceof NoSuchOptError);
    assert.equal(e.option, "nope");
    assert.equal(e.group, "DEFAULT");
    return true;
  });
  assert.throws(() => conf.get("known"), NoSuchOptError);
  assert.throws(() => conf.setDefault("nope", 1, "g"), NoSuchOptError);
  assert.throws(() => conf.setOverride("nope", 1), NoSuchOptError);
  assert.throws(() => conf.get(""), TypeError);
  assert.throws(() => conf.get("known", ""), TypeError);
});

Deno.test("Config.setOverride() and setDefault() validate and convert, changing nothing on error", () => {
  const conf = new Config();
  conf.registerOpts([intOpt("n", { default: 1, max: 10 }), listOpt("l")]);
  conf.setOverride("n", "7");
  assert.equal(conf.get("n"), 7);
  assert.throws(() => conf.setOverride("n", 11), ConfigValueError);
  assert.equal(conf.get("n"), 7);
  assert.throws(() => conf.setDefault("n", "x"), ConfigValueError);
  conf.setOverride("n", undefined);
  assert.equal(conf.get("n"), 1);
  conf.setDefault("l", "a,b");
  assert.deepEqual(conf.get("l"), ["a", "b"]);
  const items = ["c"];
  conf.setOverride("l", items);
  items.push("mutated later");
  assert.deepEqual(conf.get("l"), ["c"]);
});

Deno.test("Config.registerOpt() is idempotent and throws DuplicateOptError on a conflict", () => {
  const conf = new Config();
  conf.registerOpt(intOpt("n", { default: 1, help: "h" }), "g");
  conf.registerOpt(intOpt("n", { default: 1, help: "h" }), "g");
  conf.registerOpt(intOpt("n", { default: 1, help: "h" }), "G");
  conf.registerOpt(intOpt("n", { default: 2 })); // another group: no conflict
  assert.equal(conf.listOpts().length, 2);
  assert.throws(
    () => conf.registerOpt(intOpt("n", { default: 2, help: "h" }), "g"),
    (e: unknown) => {
      assert.ok(e instanceof DuplicateOptError);
      assert.equal(e.option, "n");
      assert.equal(e.group, "g");
      assert.match(e.message, /default/);
      return true;
    },
  );
  assert.throws(
    () => conf.registerOpt(strOpt("n", { default: "1", help: "h" }), "g"),
    DuplicateOptError,
  );
  conf.registerOpt(intOpt("n-x"));
  // "n-x" is written n_x in files, so the two would share a key.
  assert.throws(() => conf.registerOpt(intOpt("n_x")), DuplicateOptError);
  assert.throws(() => conf.registerOpt({ name: "x" } as never), TypeError);
  assert.throws(() => conf.registerOpt(intOpt("x"), "bad]"), TypeError);
  assert.throws(() => conf.registerOpts("x" as never), TypeError);
});

Deno.test("Config.get() validates an option registered after load() when first read", async () => {
  await using dir = await tempDir();
  const file = await dir.write("a.conf", "[DEFAULT]\nlate = abc\nlate_ok = 5\n");
  const conf = new Config();
  await conf.load({ files: [file] });
  conf.registerOpt(intOpt("late"));
  conf.registerOpt(intOpt("late_ok"));
  assert.throws(
    () => conf.get("late"),
    (e: unknown) => e instanceof ConfigValueError && e.value === "abc",
  );
  assert.equal(conf.get("late_ok"), 5);
});

Deno.test("Config.get() substitutes $name, ${group.name}, $$ and \\$", async () => {
  await using dir = await tempDir();
  const file = await dir.write(
    "a.conf",
    [
      "[DEFAULT]",
      "state_path = /var/lib/app",
      "host = h",
      "[api]",
      "host = api-host",
      "url = http://$host:${api.port}/$state_path",
      "port = 80",
      "dotted = $api.port",
      "cost = $$5 and \\$6",
      "n = 1$port",
      "",
    ].join("\n"),
  );
  const conf = new Config();
  conf.registerOpts([
    strOpt("state_path"),
    strOpt("host"),
    strOpt("lock_path", { default: "$state_path/lock" }),
  ]);
  conf.registerOpts([
    strOpt("host"),
    strOpt("url"),
    intOpt("port"),
    strOpt("dotted"),
    strOpt("cost"),
    intOpt("n"),
  ], "api");
  await conf.load({ files: [file] });
  // $host resolves in the option's own group first, then in [DEFAULT].
  assert.equal(conf.get("url", "api"), "http://api-host:80//var/lib/app");
  assert.equal(conf.get("dotted", "api"), "80");
  assert.equal(conf.get("cost", "api"), "$5 and $6");
  assert.equal(conf.get("n", "api"), 180);
  assert.equal(conf.get("lock_path"), "/var/lib/app/lock");
  conf.setOverride("state_path", "/srv");
  assert.equal(conf.get("lock_path"), "/srv/lock");
});

Deno.test("Config.load() rejects an unknown substitution with ConfigSubstitutionError", async () => {
  await using dir = await tempDir();
  const file = await dir.write("a.conf", "[DEFAULT]\npassword = pa$word\n");
  const conf = new Config();
  conf.registerOpt(strOpt("password", { secret: true }));
  await rejectsWith(conf.load({ files: [file] }), ConfigSubstitutionError, (e) => {
    assert.ok(e instanceof ConfigValueError);
    assert.equal(e.option, "password");
    assert.equal(e.value, "***");
    assert.match(e.reason, /\$word/);
  });
});

Deno.test("Config.load() detects recursive substitution instead of overflowing the stack", async () => {
  await using dir = await tempDir();
  const file = await dir.write(
    "a.conf",
    "[DEFAULT]\na = $b\nb = x${g.c}\nself = $self\n[g]\nc = $a\n",
  );
  const conf = new Config();
  conf.registerOpts([strOpt("a"), strOpt("b")]);
  conf.registerOpt(strOpt("c"), "g");
  await rejectsWith(conf.load({ files: [file] }), ConfigSubstitutionError, (e) => {
    assert.equal(e.option, "a");
    assert.match(
      e.reason,
      /recursive substitution: \[DEFAULT\] a -> \[DEFAULT\] b -> \[g\] c -> \[DEFAULT\] a/,
    );
  });
  const other = new Config();
  other.registerOpt(strOpt("self"));
  await rejectsWith(other.load({ files: [file] }), ConfigSubstitutionError);
  // A long but finite chain is reported too, never a RangeError from the JS stack.
  const chain = new Config();
  for (let i = 0; i < 5_000; i++) {
    chain.registerOpt(strOpt(`o${i}`, { default: i === 4_999 ? "end" : `$o${i + 1}` }));
  }
  assert.throws(() => chain.get("o0"), ConfigSubstitutionError);
  assert.equal(chain.get("o4990"), "end");
});

Deno.test("Config.load() reads a deprecatedName from files and logs a deprecation warning once", async () => {
  await using dir = await tempDir();
  const file = await dir.write("a.conf", "[DEFAULT]\nold_workers = 3\nnew_only = 1\n[DEFAULT]\n");
  const log = captureConfigLog();
  const conf = new Config({ logger: log.logger });
  conf.registerOpt(intOpt("workers", { deprecatedName: "old_workers" }));
  await conf.load({ files: [file] });
  assert.equal(conf.get("workers"), 3);
  await conf.reload();
  assert.deepEqual(log.lines.filter((l) => l.startsWith("WARNING")), [
    'WARNING Option "old_workers" from group "DEFAULT" is deprecated. Use option "workers" from group "DEFAULT".',
  ]);
  // The current name wins over the deprecated one in the same file.
  const both = await dir.write("b.conf", "[DEFAULT]\nworkers = 5\nold_workers = 3\n");
  await conf.load({ files: [both] });
  assert.equal(conf.get("workers"), 5);
});

Deno.test("Config.reload() re-reads files and returns what changed", async () => {
  await using dir = await tempDir();
  await Deno.mkdir(`${dir.path}/d`);
  const file = await dir.write(
    "a.conf",
    "[DEFAULT]\nworkers = 2\nname = a\n[db]\npassword = old\n",
  );
  const conf = new Config();
  conf.registerOpts([intOpt("workers"), strOpt("name"), strOpt("added")]);
  conf.registerOpt(strOpt("password", { secret: true }), "db");
  await conf.load({ files: [file], dirs: [`${dir.path}/d`] });
  await dir.write("a.conf", "[DEFAULT]\nworkers = 3\nname = a\n[db]\npassword = new\n");
  await dir.write("d/x.conf", "[DEFAULT]\nadded = yes\n");
  const result = await conf.reload();
  assert.deepEqual(result, {
    changed: [
      { group: "DEFAULT", name: "workers", old: 2, new: 3 },
      { group: "DEFAULT", name: "added", old: undefined, new: "yes" },
      { group: "db", name: "password", old: "***", new: "***" },
    ],
    ignored: [],
  });
  assert.equal(conf.get("workers"), 3);
  assert.equal(conf.get("password", "db"), "new");
  assert.deepEqual(conf.configFiles, [`${dir.path}/d/x.conf`, file]);
  assert.deepEqual(await conf.reload(), { changed: [], ignored: [] });
});

Deno.test("Config.reload() that fails to parse keeps every old value and rejects with the error", async () => {
  await using dir = await tempDir();
  const a = await dir.write("a.conf", "[DEFAULT]\nx = 1\n");
  const b = await dir.write("b.conf", "[DEFAULT]\ny = 1\n");
  const conf = new Config();
  conf.registerOpts([intOpt("x"), intOpt("y")]);
  await conf.load({ files: [a, b] });
  await dir.write("a.conf", "[DEFAULT]\nx = 2\n");
  await dir.write("b.conf", "[DEFAULT]\ny = 2\n  \n oops\n");
  await rejectsWith(conf.reload(), ConfigFileParseError, (e) => {
    assert.equal(e.file, b);
    assert.equal(e.line, 4);
  });
  assert.equal(conf.get("x"), 1);
  assert.equal(conf.get("y"), 1);
  await dir.write("b.conf", "[DEFAULT]\ny = not-a-number\n");
  await rejectsWith(conf.reload(), ConfigValueError);
  assert.equal(conf.get("x"), 1);
  await Deno.remove(b);
  await rejectsWith(conf.reload(), ConfigFileNotFoundError, (e) => assert.equal(e.file, b));
  assert.equal(conf.get("y"), 1);
});

Deno.test("Config.mutate() applies only mutable options, reports and logs the rest", async () => {
  await using dir = await tempDir();
  const file = await dir.write("a.conf", "[DEFAULT]\nworkers = 2\ntimeout = 5\ndebug = false\n");
  const log = captureConfigLog();
  const conf = new Config({ logger: log.logger });
  conf.registerOpts([
    intOpt("workers"),
    intOpt("timeout", { mutable: true }),
    boolOpt("debug", { mutable: true }),
  ]);
  await conf.load({ files: [file] });
  await dir.write("a.conf", "[DEFAULT]\nworkers = 3\ntimeout = 9\ndebug = false\n");
  const result = await conf.mutate();
  assert.deepEqual(result, {
    changed: [{ group: "DEFAULT", name: "timeout", old: 5, new: 9 }],
    ignored: [{ group: "DEFAULT", name: "workers" }],
  });
  assert.equal(conf.get("workers"), 2);
  assert.equal(conf.get("timeout"), 9);
  assert.ok(log.lines.includes("INFO Option [DEFAULT] timeout changed from [5] to [9]"));
  assert.ok(log.lines.includes("WARNING Ignoring change to immutable option [DEFAULT] workers"));
  // The ignored option keeps its old value through later mutates, and reload() applies it.
  await dir.write("a.conf", "[DEFAULT]\nworkers = 4\ntimeout = 9\ndebug = true\n");
  const second = await conf.mutate();
  assert.deepEqual(second.ignored, [{ group: "DEFAULT", name: "workers" }]);
  assert.equal(conf.get("workers"), 2);
  assert.equal(conf.get("debug"), true);
  const reloaded = await conf.reload();
  assert.deepEqual(reloaded.changed, [{ group: "DEFAULT", name: "workers", old: 2, new: 4 }]);
  assert.equal(conf.get("workers"), 4);
});

Deno.test("Config: an immutable option that mutate() kept keeps its value when an override of it is set, then cleared", async () => {
  await using dir = await tempDir();
  const file = await dir.write("a.conf", "[DEFAULT]\nworkers = 2\n");
  const conf = new Config({ logger: captureConfigLog().logger });
  conf.registerOpt(intOpt("workers"));
  await conf.load({ files: [file] });
  await dir.write("a.conf", "[DEFAULT]\nworkers = 3\n");
  assert.deepEqual((await conf.mutate()).ignored, [{ group: "DEFAULT", name: "workers" }]);
  // Before, clearing an override (set or not) dropped the pin: the new file value, 3, applied.
  conf.setOverride("workers", undefined);
  assert.equal(conf.get("workers"), 2);
  conf.setOverride("workers", 7);
  assert.equal(conf.get("workers"), 7);
  conf.setOverride("workers", undefined);
  assert.equal(conf.get("workers"), 2);
  await conf.reload();
  assert.equal(conf.get("workers"), 3);
});

Deno.test("Config.mutate() that fails keeps every old value", async () => {
  await using dir = await tempDir();
  const file = await dir.write("a.conf", "[DEFAULT]\ntimeout = 5\n");
  const conf = new Config();
  conf.registerOpt(intOpt("timeout", { mutable: true, min: 0 }));
  await conf.load({ files: [file] });
  await dir.write("a.conf", "[DEFAULT]\ntimeout = -1\n");
  await rejectsWith(conf.mutate(), ConfigValueError);
  assert.equal(conf.get("timeout"), 5);
  await dir.write("a.conf", "[DEFAULT\ntimeout = 6\n");
  await rejectsWith(conf.mutate(), ConfigFileParseError);
  assert.equal(conf.get("timeout"), 5);
});

Deno.test("Config.sources lets another Config load the same files", async () => {
  await using dir = await tempDir();
  await Deno.mkdir(`${dir.path}/d`);
  await dir.write("d/a.conf", "[DEFAULT]\nv = dir\n");
  const file = await dir.write("f.conf", "[DEFAULT]\nw = file\n");
  const conf = new Config();
  await conf.load({ args: ["--config-dir", `${dir.path}/d`], files: [file] });
  // Sources are plain data: they survive structured cloning into a worker.
  const sources = structuredClone(conf.sources);
  const copy = new Config();
  copy.registerOpts([strOpt("v"), strOpt("w")]);
  await copy.load(sources);
  assert.equal(copy.get("v"), "dir");
  assert.equal(copy.get("w"), "file");
  assert.deepEqual(copy.configFiles, conf.configFiles);
  assert.ok(Object.isFrozen(conf.sources.args));
});

Deno.test("Config.load() calls run one after another so the last call wins", async () => {
  await using dir = await tempDir();
  const a = await dir.write("a.conf", "[DEFAULT]\nv = a\n");
  const b = await dir.write("b.conf", "[DEFAULT]\nv = b\n");
  const conf = new Config();
  conf.registerOpt(strOpt("v"));
  // Hold the read of a.conf until b's load and the reload have been called: unserialized, they
  // would finish first and a (finishing last) would win.
  const read = Deno.readTextFile;
  const gate = Promise.withResolvers<void>();
  const reads: string[] = [];
  Deno.readTextFile = async (path, options) => {
    reads.push(String(path));
    if (String(path) === a) await gate.promise;
    return await read(path, options);
  };
  try {
    const calls = [conf.load({ files: [a] }), conf.load({ files: [b] }), conf.reload()];
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(reads, [a]); // the others wait for the first
    gate.resolve();
    await Promise.all(calls);
  } finally {
    Deno.readTextFile = read;
  }
  assert.deepEqual(reads, [a, b, b]);
  assert.equal(conf.get("v"), "b");
  assert.deepEqual(conf.configFiles, [b]);
});

Deno.test("Config hides a secret substituted into another option's value (errors, changes, logs)", async () => {
  await using dir = await tempDir();
  const file = await dir.write(
    "a.conf",
    "[DEFAULT]\ndb_password = hunter2\nport = $db_password\n[db]\nurl = mysql://u:${DEFAULT.db_password}@h\n",
  );
  const conf = new Config();
  conf.registerOpts([strOpt("db_password", { secret: true, mutable: true }), intOpt("port")]);
  conf.registerOpt(strOpt("url", { mutable: true }), "db");
  await rejectsWith(conf.load({ files: [file] }), ConfigValueError, (e) => {
    assert.equal(e.option, "port");
    assert.equal(e.value, "***");
    assert.doesNotMatch(e.message, /hunter2/);
  });
  await dir.write(
    "a.conf",
    "[DEFAULT]\ndb_password = hunter2\n[db]\nurl = mysql://u:${DEFAULT.db_password}@h\n",
  );
  await conf.load({ files: [file] });
  assert.equal(conf.get("url", "db"), "mysql://u:hunter2@h"); // the value itself is intact
  assert.throws(() => conf.setOverride("port", "x$db_password"), (e: unknown) => {
    assert.ok(e instanceof ConfigValueError);
    assert.equal(e.value, "***");
    return true;
  });
  await dir.write(
    "a.conf",
    "[DEFAULT]\ndb_password = hunter3\n[db]\nurl = mysql://u:${DEFAULT.db_password}@h\n",
  );
  const log = captureConfigLog();
  conf.logger = log.logger;
  const result = await conf.mutate();
  assert.deepEqual(result, {
    changed: [
      { group: "DEFAULT", name: "db_password", old: "***", new: "***" },
      { group: "db", name: "url", old: "***", new: "***" },
    ],
    ignored: [],
  });
  assert.equal(conf.get("url", "db"), "mysql://u:hunter3@h");
  assert.ok(log.lines.length >= 2);
  for (const line of log.lines) assert.doesNotMatch(line, /hunter/);
});

Deno.test("Config.load(): bad sources are described by type, naming the bad item", () => {
  const conf = new Config();
  assert.throws(() => conf.load({ args: ["--config-file", 5 as unknown as string] }), {
    name: "TypeError",
    message: "Cannot load config as 'args[1]' must be a string: current value is number 5",
  });
  assert.throws(() => conf.load({ files: "a.conf" as unknown as string[] }), {
    name: "TypeError",
    message:
      "Cannot load config as 'files' must be an array of strings: current value is string a.conf",
  });
  assert.throws(() => conf.load({ args: ["--config-file"] }), {
    name: "TypeError",
    message: "Cannot load config as '--config-file' needs a path: current value is undefined",
  });
  assert.throws(() => new Config(5 as never), {
    name: "TypeError",
    message: "Cannot create Config as 'options' must be an object: current value is number 5",
  });
});
