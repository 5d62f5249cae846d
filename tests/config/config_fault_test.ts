// Semantics found wrong by fault-probing config/: each test failed before its fix.

import assert from "node:assert/strict";
import {
  boolOpt,
  Config,
  floatOpt,
  intOpt,
  listOpt,
  multiStrOpt,
  portOpt,
  RequiredOptError,
  strOpt,
} from "../../config/mod.ts";
import { applySnapshot, configFromSnapshot, snapshotConfig } from "../../config/_snapshot.ts";
import { captureConfigLog, tempDir } from "./_helpers.ts";

Deno.test("Config.mutate() keeps an immutable option whose $ref names a mutable one that changed", async () => {
  await using dir = await tempDir();
  const file = await dir.write("a.conf", "[DEFAULT]\nhost = a\nurl = http://$host/\n");
  const log = captureConfigLog();
  const conf = new Config({ logger: log.logger });
  conf.registerOpts([strOpt("host", { mutable: true }), strOpt("url")]);
  await conf.load({ files: [file] });
  await dir.write("a.conf", "[DEFAULT]\nhost = b\nurl = http://$host/\n");
  const result = await conf.mutate();
  assert.deepEqual(result, {
    changed: [{ group: "DEFAULT", name: "host", old: "a", new: "b" }],
    ignored: [{ group: "DEFAULT", name: "url" }],
  });
  assert.equal(conf.get("host"), "b");
  assert.equal(conf.get("url"), "http://a/");
  assert.ok(!log.lines.some((line) => line.includes("url changed")), log.lines.join("\n"));
  // Still pinned after a registration clears the cache; reload() applies the new value.
  conf.registerOpt(strOpt("other"));
  assert.equal(conf.get("url"), "http://a/");
  const reloaded = await conf.reload();
  assert.deepEqual(reloaded.changed, [{
    group: "DEFAULT",
    name: "url",
    old: "http://a/",
    new: "http://b/",
  }]);
});

Deno.test("configFromSnapshot() keeps every '$' of the original's values (setOverride() would substitute them again)", async () => {
  await using dir = await tempDir();
  const file = await dir.write(
    "a.conf",
    [
      "[DEFAULT]",
      "price = cost $$5",
      "pair = a$$b",
      "back = C:\\",
      "path = ${back}$$",
      "items = x,y$$z",
      "multi = one$$two",
      "multi = three",
      "password = pa$$word",
      "url = db://u:$password@h",
      "[api]",
      "debug = yes",
      "",
    ].join("\n"),
  );
  const conf = new Config();
  conf.registerOpts([
    strOpt("price"),
    strOpt("pair"),
    strOpt("back"),
    strOpt("path"),
    listOpt("items"),
    multiStrOpt("multi"),
    strOpt("password", { secret: true }),
    strOpt("url"),
  ]);
  conf.registerOpt(boolOpt("debug"), "api");
  await conf.load({ files: [file] });
  assert.equal(conf.get("pair"), "a$b");
  assert.equal(conf.get("path"), "C:\\$");
  const copy = configFromSnapshot(structuredClone(snapshotConfig(conf)));
  for (const { group, opt } of conf.listOpts()) {
    assert.deepEqual(
      copy.get(opt.name, group),
      conf.get(opt.name, group),
      `[${group}] ${opt.name}`,
    );
  }
});

Deno.test("configFromSnapshot() keeps a number option set to an empty value unset, not its default", async () => {
  await using dir = await tempDir();
  const file = await dir.write("a.conf", "[DEFAULT]\nworkers =\nratio =\nport =\n");
  const conf = new Config();
  conf.registerOpts([
    intOpt("workers", { default: 4 }),
    floatOpt("ratio", { default: 0.5 }),
    portOpt("port", { default: 8080 }),
    intOpt("unset"),
  ]);
  await conf.load({ files: [file] });
  const copy = configFromSnapshot(structuredClone(snapshotConfig(conf)));
  for (const name of ["workers", "ratio", "port", "unset"]) {
    assert.equal(conf.get(name), undefined, name);
    assert.equal(copy.get(name), undefined, name);
  }
});

Deno.test("Config.load() reads no --config-file / --config-dir after '--' (positional, as in oslo.config)", async () => {
  await using dir = await tempDir();
  const before = await dir.write("before.conf", "[DEFAULT]\nname = before\n");
  const after = await dir.write("after.conf", "[DEFAULT]\nname = after\n");
  const conf = new Config();
  conf.registerOpt(strOpt("name"));
  await conf.load({ args: ["--config-file", before, "--", "run", "--config-file", after] });
  assert.equal(conf.get("name"), "before");
  assert.deepEqual(conf.configFiles, [before]);
  // Nor is a flag there without its path an error.
  await conf.load({ args: ["--", "--config-dir"] });
  assert.deepEqual(conf.configFiles, []);
});

Deno.test("Config.load() and get() reject a required multiStrOpt with no value with RequiredOptError", async () => {
  await using dir = await tempDir();
  const file = await dir.write("a.conf", "[DEFAULT]\nother = 1\n");
  const conf = new Config();
  conf.registerOpt(multiStrOpt("backend", { required: true }));
  await assert.rejects(conf.load({ files: [file] }), RequiredOptError);
  assert.throws(() => conf.get("backend"), RequiredOptError);
  await dir.write("a.conf", "[DEFAULT]\nbackend = a\nbackend = b\n");
  await conf.load({ files: [file] });
  assert.deepEqual(conf.get("backend"), ["a", "b"]);
});

Deno.test("listOpt drops every trailing comma, as oslo.config's List type does", () => {
  const conf = new Config();
  conf.registerOpt(listOpt("hosts"));
  const cases: [string, string[]][] = [
    ["a,b,,", ["a", "b"]],
    [",,,", []],
    ["a, ,", ["a", ""]],
    ["a,b, ", ["a", "b"]],
    [",a", ["", "a"]],
  ];
  for (const [text, items] of cases) {
    conf.setOverride("hosts", text);
    assert.deepEqual(conf.get("hosts"), items, text);
  }
});

Deno.test("intOpt and portOpt read '-0' as 0, so reload() reports no change from '0'", async () => {
  await using dir = await tempDir();
  const file = await dir.write("a.conf", "[DEFAULT]\ncount = 0\nport = 0\n");
  const conf = new Config();
  conf.registerOpts([intOpt("count"), portOpt("port")]);
  await conf.load({ files: [file] });
  await dir.write("a.conf", "[DEFAULT]\ncount = -0\nport = -0\n");
  assert.deepEqual(await conf.reload(), { changed: [], ignored: [] });
  assert.ok(Object.is(conf.get("count"), 0));
  assert.ok(Object.is(conf.get("port"), 0));
  conf.setOverride("count", -0);
  assert.ok(Object.is(conf.get("count"), 0));
});

/** What `fn` throws, as the fields a caller sees (fails when it does not throw). */
function thrown(fn: () => unknown): Record<string, unknown> {
  try {
    fn();
  } catch (error) {
    const { name, message, option, group, value, reason } = error as Record<string, unknown>;
    return { class: (error as object).constructor, name, message, option, group, value, reason };
  }
  assert.fail(`did not throw: read ${JSON.stringify(fn())}`);
}

Deno.test("configFromSnapshot(): an option registered after load() whose file value is invalid throws in the copy as in the original", async () => {
  await using dir = await tempDir();
  const file = await dir.write(
    "a.conf",
    [
      "[DEFAULT]",
      "workers = 0",
      "url = http://h:$port/",
      "port = 99999",
      "token = x",
      "hosts = a,$nowhere",
      "[api]",
      "debug = maybe",
      "",
    ].join("\n"),
  );
  const conf = new Config();
  conf.registerOpt(strOpt("name", { default: "n" }));
  await conf.load({ files: [file] });
  conf.registerOpts([
    intOpt("workers", { default: 4, min: 1 }),
    strOpt("url", { default: "none" }),
    portOpt("port", { default: 80 }),
    intOpt("token", { default: 1, secret: true }),
    listOpt("hosts", { default: ["d"] }),
    strOpt("via", { default: "$port" }),
  ]);
  conf.registerOpt(boolOpt("debug", { default: false }), "api");
  const copy = configFromSnapshot(structuredClone(snapshotConfig(conf)));
  const cases: [string, string?][] = [
    ["workers"], // out of range
    ["url"], // substitutes an invalid option
    ["port"],
    ["token"], // secret: shown as ***
    ["hosts"], // references an unknown option
    ["via"], // a default substituting an invalid option
    ["debug", "api"],
  ];
  for (const [name, group] of cases) {
    const want = thrown(() => conf.get(name, group));
    assert.deepEqual(thrown(() => copy.get(name, group)), want, `[${group ?? "DEFAULT"}] ${name}`);
  }
  assert.equal(thrown(() => copy.get("token")).value, "***");
  // A newer snapshot (a mutate's) applies over the copy: fixed, then invalid again.
  conf.setOverride("workers", 2);
  applySnapshot(copy, structuredClone(snapshotConfig(conf)));
  assert.equal(copy.get("workers"), 2);
  conf.setOverride("workers", undefined);
  applySnapshot(copy, structuredClone(snapshotConfig(conf)));
  assert.deepEqual(thrown(() => copy.get("workers")), thrown(() => conf.get("workers")));
});
