// --config-file and --config-dir apply in command-line order, later wins (oslo.config), whatever
// the mix of the two.

import assert from "node:assert/strict";
import { Config, strOpt } from "../../config/mod.ts";
import { type TempDir, tempDir } from "./_helpers.ts";

interface Layout {
  d1: string;
  d2: string;
  d1a: string;
  d1b: string;
  d2a: string;
  f1: string;
  f2: string;
}

async function setUp(dir: TempDir): Promise<Layout> {
  await Deno.mkdir(`${dir.path}/d1`);
  await Deno.mkdir(`${dir.path}/d2`);
  return {
    d1: dir.path + "/d1",
    d2: dir.path + "/d2",
    d1a: await dir.write("d1/10-a.conf", "[DEFAULT]\nv = d1a\nonly_d1 = d1a\n"),
    d1b: await dir.write("d1/20-b.conf", "[DEFAULT]\nv = d1b\n"),
    d2a: await dir.write("d2/10-a.conf", "[DEFAULT]\nv = d2a\n"),
    f1: await dir.write("f1.conf", "[DEFAULT]\nv = f1\n"),
    f2: await dir.write("f2.conf", "[DEFAULT]\nv = f2\n"),
  };
}

function fresh(): Config {
  const conf = new Config();
  conf.registerOpts([strOpt("v"), strOpt("only_d1")]);
  return conf;
}

Deno.test("Config.load() applies a --config-file given after a --config-dir over the dir's files", async () => {
  await using dir = await tempDir();
  const p = await setUp(dir);
  const conf = fresh();
  await conf.load({ args: ["--config-dir", p.d1, "--config-file", p.f1] });
  assert.equal(conf.get("v"), "f1");
  assert.deepEqual(conf.configFiles, [p.d1a, p.d1b, p.f1]);
});

Deno.test("Config.load() applies a --config-dir given after a --config-file over the file", async () => {
  await using dir = await tempDir();
  const p = await setUp(dir);
  const conf = fresh();
  await conf.load({ args: [`--config-file=${p.f1}`, `--config-dir=${p.d1}`] });
  assert.equal(conf.get("v"), "d1b");
  assert.deepEqual(conf.configFiles, [p.f1, p.d1a, p.d1b]);
});

Deno.test("Config.load() applies mixed --config-file and --config-dir arguments strictly in order", async () => {
  await using dir = await tempDir();
  const p = await setUp(dir);
  const cases: [string[], string, string[]][] = [
    [["--config-file", p.f1, "--config-dir", p.d1, "--config-file", p.f2], "f2", [
      p.f1,
      p.d1a,
      p.d1b,
      p.f2,
    ]],
    [["--config-dir", p.d2, "--config-file", p.f2, "--config-dir", p.d1], "d1b", [
      p.d2a,
      p.f2,
      p.d1a,
      p.d1b,
    ]],
    [["--config-dir", p.d1, "--config-dir", p.d2], "d2a", [p.d1a, p.d1b, p.d2a]],
    [["--config-dir", p.d2, "--config-dir", p.d1], "d1b", [p.d2a, p.d1a, p.d1b]],
    [["--config-file", p.f2, "--config-file", p.f1], "f1", [p.f2, p.f1]],
    // The same file twice: its last position decides, as oslo's repeated parse does.
    [["--config-file", p.f1, "--config-file", p.f2, "--config-file", p.f1], "f1", [
      p.f1,
      p.f2,
      p.f1,
    ]],
  ];
  for (const [args, expected, files] of cases) {
    const conf = fresh();
    await conf.load({ args: ["--verbose", ...args, "positional"] });
    assert.equal(conf.get("v"), expected, args.join(" "));
    assert.equal(conf.get("only_d1"), files.includes(p.d1a) ? "d1a" : undefined);
    assert.deepEqual(conf.configFiles, files, args.join(" "));
  }
});

Deno.test("Config.load() reads args after the dirs and files options, in command-line order", async () => {
  await using dir = await tempDir();
  const p = await setUp(dir);
  const conf = fresh();
  await conf.load({ dirs: [p.d2], files: [p.f2], args: ["--config-dir", p.d1] });
  assert.equal(conf.get("v"), "d1b");
  assert.deepEqual(conf.configFiles, [p.d2a, p.f2, p.d1a, p.d1b]);
});

Deno.test("Config.reload() keeps the command-line order and lists directories again", async () => {
  await using dir = await tempDir();
  const p = await setUp(dir);
  const conf = fresh();
  await conf.load({ args: ["--config-dir", p.d1, "--config-file", p.f1] });
  const late = await dir.write("d1/99-late.conf", "[DEFAULT]\nv = late\n");
  await conf.reload();
  assert.equal(conf.get("v"), "f1"); // the file still comes after the directory
  assert.deepEqual(conf.configFiles, [p.d1a, p.d1b, late, p.f1]);
});

Deno.test("Config.load() expands a leading ~ in --config-file and --config-dir, as oslo.config", async () => {
  // A shell leaves `--config-file=~/x.conf` as it is; oslo expands it (os.path.expanduser), and
  // fjord reported "Config file not found: ~/x.conf".
  const home = await Deno.makeTempDir();
  const saved = Deno.env.get("HOME");
  Deno.env.set("HOME", home);
  try {
    await Deno.writeTextFile(`${home}/a.conf`, "[DEFAULT]\nname = from-file\n");
    await Deno.mkdir(`${home}/conf.d`);
    await Deno.writeTextFile(`${home}/conf.d/b.conf`, "[DEFAULT]\nother = from-dir\n");
    const conf = new Config();
    conf.registerOpts([strOpt("name"), strOpt("other")]);
    await conf.load({ args: ["--config-file=~/a.conf", "--config-dir", "~/conf.d"] });
    assert.equal(conf.get("name"), "from-file");
    assert.equal(conf.get("other"), "from-dir");
  } finally {
    if (saved === undefined) Deno.env.delete("HOME");
    else Deno.env.set("HOME", saved);
    await Deno.remove(home, { recursive: true });
  }
});
