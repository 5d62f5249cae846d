// Whether fjord runs as root (euid 0), for runAsRoot: oslo applies the root helper only when
// os.geteuid() != 0. Read once, lazily, and only when runAsRoot is asked for.

import { describeValue } from "../runtime/_describe.ts";
import { permitted } from "../runtime/_permitted.ts";

let cached: boolean | undefined;

function readEffectiveRoot(): boolean {
  // Asked first: reading either without its permission shows Deno's prompt at a terminal.
  if (permitted({ name: "read", path: "/proc/self/status" })) {
    try {
      // "Uid:\treal\teffective\tsaved\tfs"
      const status = Deno.readTextFileSync("/proc/self/status");
      const uid = /^Uid:\s+\d+\s+(\d+)/m.exec(status);
      if (uid) return uid[1] === "0";
    } catch {
      // No /proc (macOS), or Deno reads /proc only with --allow-all: try Deno.uid() next.
    }
  }
  if (permitted({ name: "sys", kind: "uid" })) {
    try {
      return Deno.uid() === 0;
    } catch {
      // Not on this OS: as below.
    }
  }
  // Without a way to tell, apply the helper: a root helper (sudo) also works for root.
  return false;
}

export function isEffectiveRoot(): boolean {
  return cached ??= readEffectiveRoot();
}

/** Tests pretend to be (or not be) root; `undefined` reads the real answer again. */
export function setEffectiveRoot(value: boolean | undefined): void {
  cached = value;
}

// shlex.split() for the root helper string: words separated by space, tab, CR or LF, '...'
// literal, "..." where a backslash escapes only `"` and `\`, backslash escapes outside quotes.
export function shellSplit(text: string): string[] {
  const words: string[] = [];
  // undefined: between words; "" is an empty quoted word ('' in shlex).
  let word: string | undefined;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      else word = (word ?? "") + ch;
    } else if (quote === '"') {
      if (ch === '"') quote = undefined;
      else if (ch === "\\" && i + 1 < text.length && '"\\'.includes(text[i + 1]!)) {
        word = (word ?? "") + text[++i]!;
      } else word = (word ?? "") + ch;
    } else if (" \t\r\n".includes(ch)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      word ??= "";
    } else if (ch === "\\") {
      if (i + 1 === text.length) {
        throw new TypeError(
          `Cannot execute as 'rootHelper' ends with a lone backslash: current value is ${
            describeValue(text)
          }`,
        );
      }
      word = (word ?? "") + text[++i]!;
    } else {
      word = (word ?? "") + ch;
    }
  }
  if (quote !== undefined) {
    throw new TypeError(
      `Cannot execute as 'rootHelper' has an unterminated quote: current value is ${
        describeValue(text)
      }`,
    );
  }
  if (word !== undefined) words.push(word);
  return words;
}
