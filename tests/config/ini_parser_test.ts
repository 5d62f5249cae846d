import assert from "node:assert/strict";
import { ConfigFileParseError, type IniDocument, parseIni } from "../../config/mod.ts";

function values(doc: IniDocument, section: string, key: string): string[] | undefined {
  return doc.get(section)?.get(key)?.map((e) => e.value);
}

function parseError(text: string): ConfigFileParseError {
  try {
    parseIni(text, "test.conf");
  } catch (error) {
    assert.ok(error instanceof ConfigFileParseError, `expected ConfigFileParseError, got ${error}`);
    assert.equal(error.name, "ConfigFileParseError");
    assert.equal(error.file, "test.conf");
    return error;
  }
  assert.fail(`parsed without error: ${JSON.stringify(text)}`);
}

Deno.test("parseIni() reads sections with dots as flat names", () => {
  const doc = parseIni("[DEFAULT]\na = 1\n[db.main]\nb = 2\n[db]\nc = 3\n");
  assert.deepEqual([...doc.keys()], ["DEFAULT", "db.main", "db"]);
  assert.deepEqual(values(doc, "db.main", "b"), ["2"]);
  assert.deepEqual(values(doc, "db", "c"), ["3"]);
  assert.equal(values(doc, "db", "b"), undefined);
});

Deno.test("parseIni() merges a section header that appears again", () => {
  const doc = parseIni("[s]\na = 1\n[t]\nx = 0\n[s]\nb = 2\n");
  assert.deepEqual(values(doc, "s", "a"), ["1"]);
  assert.deepEqual(values(doc, "s", "b"), ["2"]);
});

Deno.test("parseIni() accepts '=' and ':' and splits at whichever comes first", () => {
  const doc = parseIni("[s]\na = 1\nb: 2\nurl = http://h:80\ntime: a=b\n");
  assert.deepEqual(values(doc, "s", "a"), ["1"]);
  assert.deepEqual(values(doc, "s", "b"), ["2"]);
  assert.deepEqual(values(doc, "s", "url"), ["http://h:80"]);
  assert.deepEqual(values(doc, "s", "time"), ["a=b"]);
});

Deno.test("parseIni() trims keys and values and keeps empty values", () => {
  const doc = parseIni("[s]\n  \t\nkey   =   spaced value  \t\nempty =\n");
  assert.deepEqual(values(doc, "s", "key"), ["spaced value"]);
  assert.deepEqual(values(doc, "s", "empty"), [""]);
});

Deno.test("parseIni() strips one pair of matching surrounding quotes", () => {
  const doc = parseIni(`[s]\na = "x y "\nb = 'z'\nc = "mixed'\nd = ""quoted""\ne = "\n`);
  assert.deepEqual(values(doc, "s", "a"), ["x y "]);
  assert.deepEqual(values(doc, "s", "b"), ["z"]);
  assert.deepEqual(values(doc, "s", "c"), [`"mixed'`]);
  assert.deepEqual(values(doc, "s", "d"), [`"quoted"`]);
  assert.deepEqual(values(doc, "s", "e"), [""]);
});

Deno.test("parseIni() skips full-line '#' and ';' comments but keeps inline ones", () => {
  const doc = parseIni("# top\n; top\n[s]\n#a = 1\n;b = 2\nc = 3 # not a comment\n");
  assert.deepEqual([...doc.get("s")!.keys()], ["c"]);
  assert.deepEqual(values(doc, "s", "c"), ["3 # not a comment"]);
});

Deno.test("parseIni() joins indented continuation lines with a newline", () => {
  const doc = parseIni("[s]\na = first\n  second\n\tthird\nb =\n    x\n    y\n");
  assert.deepEqual(values(doc, "s", "a"), ["first\nsecond\nthird"]);
  assert.deepEqual(values(doc, "s", "b"), ["\nx\ny"]);
});

Deno.test("parseIni() ends a continued value at a blank line, comment or new key", () => {
  const doc = parseIni("[s]\na = 1\n  2\n\nb = 3\n# c\nc = 4\n  5\nd = 6\n");
  assert.deepEqual(values(doc, "s", "a"), ["1\n2"]);
  assert.deepEqual(values(doc, "s", "c"), ["4\n5"]);
  assert.deepEqual(values(doc, "s", "d"), ["6"]);
  assert.equal(parseError("[s]\na = 1\n\n  2\n").line, 4);
  assert.equal(parseError("[s]\na = 1\n# c\n  2\n").line, 4);
});

Deno.test("parseIni() treats an indented comment after a key as a continuation (as oslo does)", () => {
  const doc = parseIni("[s]\na = 1\n  # more\n");
  assert.deepEqual(values(doc, "s", "a"), ["1\n# more"]);
});

Deno.test("parseIni() keeps every value of a repeated key in order", () => {
  const doc = parseIni("[s]\nm = 1\nm = 2\n[t]\nm = x\n[s]\nm = 3\n");
  assert.deepEqual(values(doc, "s", "m"), ["1", "2", "3"]);
  assert.deepEqual(doc.get("s")!.get("m")!.map((e) => e.line), [2, 3, 7]);
});

Deno.test("parseIni() tolerates a UTF-8 BOM, CRLF and lone CR line endings", () => {
  const doc = parseIni("\uFEFF[s]\r\na = 1\r\n  2\r\nb = é\rc = 3");
  assert.deepEqual(values(doc, "s", "a"), ["1\n2"]);
  assert.deepEqual(values(doc, "s", "b"), ["é"]);
  assert.deepEqual(values(doc, "s", "c"), ["3"]);
});

Deno.test("parseIni() keeps section names and keys as written", () => {
  const doc = parseIni("[ Spaced Name ]\nKey-Name = v\n");
  assert.deepEqual(values(doc, " Spaced Name ", "Key-Name"), ["v"]);
});

Deno.test("parseIni() parses an empty text as no sections", () => {
  assert.equal(parseIni("").size, 0);
  assert.equal(parseIni("\n\n# only comments\n").size, 0);
});

Deno.test("parseIni() rejects an assignment outside any section with file and line", () => {
  const error = parseError("# header\n\nkey = value\n");
  assert.equal(error.line, 3);
  assert.match(error.message, /^Failed to parse test\.conf:3: .*outside any \[section\]/);
});

Deno.test("parseIni() rejects an unterminated section header", () => {
  const error = parseError("[DEFAULT]\na = 1\n[broken\n");
  assert.equal(error.line, 3);
  assert.match(error.reason, /not terminated/);
  assert.equal(parseError("[s] # trailing\n").line, 1);
});

Deno.test("parseIni() rejects an empty section name", () => {
  assert.match(parseError("[]\n").reason, /empty section name/);
});

Deno.test("parseIni() rejects a continuation line with nothing to continue", () => {
  const error = parseError("  orphan\n");
  assert.equal(error.line, 1);
  assert.match(error.reason, /continuation/);
  assert.equal(parseError("[s]\n  orphan\n").line, 2);
});

Deno.test("parseIni() rejects an empty key and a line without '=' or ':'", () => {
  assert.match(parseError("[s]\n= v\n").reason, /empty key/);
  const error = parseError("[s]\na = 1\njust words\n");
  assert.equal(error.line, 3);
  assert.match(error.reason, /key = value/);
});

Deno.test("parseIni() rejects text that is not a string with TypeError", () => {
  assert.throws(() => parseIni(42 as unknown as string), TypeError);
});
