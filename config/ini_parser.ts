/**
 * The parser for oslo.config's INI dialect.
 *
 * @module
 */

import { clip } from "./_clip.ts";
import { describeValue } from "./_describe.ts";
import { ConfigFileParseError } from "./errors.ts";

/**
 * One `key = value` assignment: its value (continuation lines joined with `\n`) and line.
 *
 * @example
 * ```ts
 * import { type IniEntry, parseIni } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * const doc = parseIni("[DEFAULT]\n# comment\nname = \"fjord\"\n");
 * const entry: IniEntry | undefined = doc.get("DEFAULT")?.get("name")?.[0];
 * assert.deepEqual(entry, { value: "fjord", line: 3 });
 * ```
 */
export interface IniEntry {
  /** The value, trimmed, one pair of matching surrounding quotes removed. */
  readonly value: string;
  /** The 1-based line of the key. */
  readonly line: number;
}

/**
 * A parsed file: section name (as written; repeated headers merge) → key (as written, trimmed)
 * → every assignment of that key in file order (repeated keys are all kept).
 *
 * @example
 * ```ts
 * import { type IniDocument, parseIni } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * const doc: IniDocument = parseIni("[a]\nx = 1\n[b]\ny = 2\n[a]\nx = 3\n");
 * assert.deepEqual([...doc.keys()], ["a", "b"]);
 * assert.deepEqual(doc.get("a")?.get("x")?.map((e) => e.value), ["1", "3"]);
 * ```
 */
export type IniDocument = ReadonlyMap<string, ReadonlyMap<string, readonly IniEntry[]>>;

const LINE_BREAK = /\r\n|\r|\n/;

// Python's str.isspace() set, which oslo.config's strip()/rstrip()/lstrip() use. It differs from
// JavaScript's trim(): it includes U+001C..U+001F and U+0085 and excludes U+FEFF.
function isSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
  if (c < 0x85) return false;
  return c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

function trimStart(s: string): string {
  let i = 0;
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  return i === 0 ? s : s.slice(i);
}

function trimEnd(s: string): string {
  let j = s.length;
  while (j > 0 && isSpace(s.charCodeAt(j - 1))) j--;
  return j === s.length ? s : s.slice(0, j);
}

function trim(s: string): string {
  return trimStart(trimEnd(s));
}

/**
 * Parses text in oslo.config's INI dialect:
 * - `[section]` headers; the name is everything between the brackets (dots allowed, never
 *   nested); a header that appears again continues the same section;
 * - `key = value` or `key: value` (whichever of `=`/`:` comes first splits), key and value trimmed,
 *   one pair of matching surrounding `"` or `'` quotes removed from the value;
 * - full-line `#` and `;` comments (only at the start of a line: `a = b # c` keeps `b # c`);
 * - lines starting with a space or tab continue the previous value, joined with `\n`; a blank
 *   line or any other line ends the value;
 * - repeated keys are all kept, in order;
 * - a UTF-8 byte order mark is skipped; `\r\n`, `\r` and `\n` all end lines.
 *
 * @param text The file contents.
 * @param file The name used in errors.
 * @returns The sections, keys and values.
 * @throws {ConfigFileParseError} On an assignment before any section, a header without `]` or
 * without a name, a continuation line with nothing to continue, an empty key, or a line that is
 * not a header, comment or `key = value`; the error names `file` and the 1-based `line`.
 *
 * @example
 * ```ts
 * import { parseIni } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * const doc = parseIni("[DEFAULT]\nhosts = a\n  b\n[db.main]\nurl: sqlite://\n", "app.conf");
 * assert.equal(doc.get("DEFAULT")?.get("hosts")?.[0]?.value, "a\nb");
 * assert.equal(doc.get("db.main")?.get("url")?.[0]?.value, "sqlite://");
 * ```
 */
export function parseIni(text: string, file = "<string>"): IniDocument {
  if (typeof text !== "string") {
    throw new TypeError(
      `Cannot parse INI text as 'text' must be a string: current value is ${describeValue(text)}`,
    );
  }
  const sections = new Map<string, Map<string, IniEntry[]>>();
  let section: Map<string, IniEntry[]> | undefined;
  let key: string | undefined;
  let keyLine = 0;
  let parts: string[] = [];

  const flush = (): void => {
    if (key === undefined) return;
    if (section === undefined) {
      throw new ConfigFileParseError(
        file,
        keyLine,
        `assignment to '${clip(key)}' outside any [section]`,
      );
    }
    let entries = section.get(key);
    if (entries === undefined) section.set(key, entries = []);
    entries.push({ value: parts.join("\n"), line: keyLine });
    key = undefined;
    parts = [];
  };

  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split(LINE_BREAK);
  // A trailing line break does not start another (empty) line.
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = trimEnd(lines[i]!);
    if (line === "") {
      flush();
      continue;
    }
    const first = line.charCodeAt(0);
    if (first === 0x20 || first === 0x09) {
      if (key === undefined) {
        throw new ConfigFileParseError(file, lineNo, "continuation line with no value to continue");
      }
      parts.push(trimStart(line));
      continue;
    }
    flush();
    if (first === 0x5b /* [ */) {
      if (line.charCodeAt(line.length - 1) !== 0x5d /* ] */) {
        throw new ConfigFileParseError(file, lineNo, "section header not terminated with ']'");
      }
      if (line.length <= 2) {
        throw new ConfigFileParseError(file, lineNo, "empty section name");
      }
      const name = line.slice(1, -1);
      section = sections.get(name);
      if (section === undefined) sections.set(name, section = new Map());
    } else if (first === 0x23 /* # */ || first === 0x3b /* ; */) {
      continue;
    } else {
      const colon = line.indexOf(":");
      const equal = line.indexOf("=");
      if (colon < 0 && equal < 0) {
        throw new ConfigFileParseError(
          file,
          lineNo,
          "expected 'key = value', a [section] or a comment",
        );
      }
      const at = colon < 0 || (equal >= 0 && equal < colon) ? equal : colon;
      const k = trim(line.slice(0, at));
      if (k === "") throw new ConfigFileParseError(file, lineNo, "empty key");
      let value = trim(line.slice(at + 1));
      const q = value.charCodeAt(0);
      if ((q === 0x22 || q === 0x27) && value.charCodeAt(value.length - 1) === q) {
        value = value.slice(1, -1);
      }
      key = k;
      keyLine = lineNo;
      parts = [value];
    }
  }
  flush();
  return sections;
}
