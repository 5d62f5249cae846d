// Property test: whatever text the parser gets, it returns a document or throws
// ConfigFileParseError naming the file and a line that exists; nothing else escapes, nothing
// hangs. The PRNG is seeded so a failure reproduces; the seed is in the test name's output.

import assert from "node:assert/strict";
import {
  Config,
  ConfigFileParseError,
  ConfigValueError,
  intOpt,
  listOpt,
  multiStrOpt,
  parseIni,
  strOpt,
} from "../../config/mod.ts";
import { tempDir } from "./_helpers.ts";

function seed(): number {
  try {
    return Number(Deno.env.get("FJORD_FUZZ_SEED") ?? 0x5eed_f00d);
  } catch {
    return 0x5eed_f00d; // no --allow-env: the default seed
  }
}

const SEED = seed();

function prng(seed: number): () => number {
  // mulberry32
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VALID = `\uFEFF# sample
[DEFAULT]
workers = 4
hosts = a, b ,c
url = http://$host:\${api.port}/x
multi = 1
multi = 2
text =
  line one
  line two
; comment
[api]
port: 8080
quoted = "  spaced  "
[db.main]
password = pa$$word
empty =
`;

const TOKENS = [
  "[",
  "]",
  "=",
  ":",
  "#",
  ";",
  " ",
  "\t",
  "\n",
  "\r\n",
  "\r",
  "\uFEFF",
  "$",
  "${",
  "}",
  "$$",
  "\\$",
  '"',
  "'",
  "DEFAULT",
  "key",
  "a.b",
  "é",
  "\u0000",
  "\uD800",
  "[DEFAULT]\n",
  "k = v\n",
  "  cont\n",
];

function checkOutcome(text: string, file: string): "ok" | "error" {
  let doc;
  try {
    doc = parseIni(text, file);
  } catch (error) {
    if (!(error instanceof ConfigFileParseError)) {
      throw new Error(`parseIni threw ${String(error)} for ${JSON.stringify(text)}`, {
        cause: error,
      });
    }
    assert.equal(error.file, file);
    const lines = text.split(/\r\n|\r|\n/).length;
    assert.ok(
      Number.isInteger(error.line) && error.line >= 1 && error.line <= lines,
      `line ${error.line} outside 1..${lines} for ${JSON.stringify(text)}`,
    );
    return "error";
  }
  assert.ok(doc instanceof Map);
  for (const [, keys] of doc) {
    for (const [key, entries] of keys) {
      assert.notEqual(key, "");
      assert.ok(entries.length > 0);
    }
  }
  return "ok";
}

function mutate(rand: () => number, text: string): string {
  let s = text;
  const edits = 1 + Math.floor(rand() * 6);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(rand() * (s.length + 1));
    const kind = Math.floor(rand() * 5);
    if (kind === 0) {
      s = s.slice(0, at) + s.slice(at + 1 + Math.floor(rand() * 8));
    } else if (kind === 1 || kind === 2) {
      s = s.slice(0, at) + TOKENS[Math.floor(rand() * TOKENS.length)]! + s.slice(at);
    } else if (kind === 3) {
      s = s.slice(0, at) + String.fromCharCode(Math.floor(rand() * 0x10000)) + s.slice(at + 1);
    } else {
      const lines = s.split("\n");
      const a = Math.floor(rand() * lines.length);
      const b = Math.floor(rand() * lines.length);
      [lines[a], lines[b]] = [lines[b]!, lines[a]!];
      s = lines.join("\n");
    }
  }
  return s;
}

Deno.test(`parseIni() only returns or throws ConfigFileParseError on 20 000 random and mutated inputs (seed ${SEED})`, () => {
  const rand = prng(SEED);
  const decoder = new TextDecoder(); // replaces invalid UTF-8, like Deno.readTextFile
  const outcomes = { ok: 0, error: 0 };
  const started = performance.now();

  // 10 000 random byte strings, decoded as a file would be.
  for (let i = 0; i < 10_000; i++) {
    const bytes = new Uint8Array(Math.floor(rand() * 200));
    for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(rand() * 256);
    outcomes[checkOutcome(decoder.decode(bytes), `random-${i}.conf`)]++;
  }
  // 5 000 random token soups, which reach far more of the grammar than raw bytes do.
  for (let i = 0; i < 5_000; i++) {
    let s = "";
    const n = Math.floor(rand() * 40);
    for (let j = 0; j < n; j++) s += TOKENS[Math.floor(rand() * TOKENS.length)]!;
    outcomes[checkOutcome(s, `tokens-${i}.conf`)]++;
  }
  // 5 000 mutations of a valid file.
  assert.equal(checkOutcome(VALID, "valid.conf"), "ok");
  for (let i = 0; i < 5_000; i++) {
    outcomes[checkOutcome(mutate(rand, VALID), `mutated-${i}.conf`)]++;
  }

  // Both outcomes must be exercised, or the generators are not testing anything.
  assert.ok(outcomes.ok > 1_000, `only ${outcomes.ok} inputs parsed`);
  assert.ok(outcomes.error > 1_000, `only ${outcomes.error} inputs failed`);
  // Far above the ~100 ms this takes; a quadratic or looping parser would blow through it.
  assert.ok(performance.now() - started < 30_000, "fuzzing took too long");
});

Deno.test(`Config.load() only rejects with parse or value errors on mutated files (seed ${SEED})`, async () => {
  const rand = prng(SEED + 1);
  await using dir = await tempDir();
  const file = `${dir.path}/fuzz.conf`;
  let loaded = 0;
  for (let i = 0; i < 300; i++) {
    const conf = new Config();
    conf.registerOpts([
      intOpt("workers"),
      listOpt("hosts"),
      strOpt("url"),
      multiStrOpt("multi"),
      strOpt("text"),
      strOpt("host"),
    ]);
    conf.registerOpts([intOpt("port"), strOpt("quoted")], "api");
    conf.registerOpt(strOpt("password", { secret: true }), "db.main");
    const text = mutate(rand, VALID);
    await Deno.writeTextFile(file, text);
    try {
      await conf.load({ files: [file] });
      loaded++;
      for (const { group, opt } of conf.listOpts()) conf.get(opt.name, group);
    } catch (error) {
      if (!(error instanceof ConfigFileParseError || error instanceof ConfigValueError)) {
        throw new Error(`load threw ${String(error)} for ${JSON.stringify(text)}`, {
          cause: error,
        });
      }
      if (error instanceof ConfigValueError && error.option === "password") {
        assert.equal(error.value, "***");
      }
    }
  }
  assert.ok(loaded > 10, `only ${loaded} mutated files loaded`);
});
