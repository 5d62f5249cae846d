// How config's error messages describe a bad argument: by its type as well as its value ("number 5",
// "string 2", "an instance of Map", "function f", "null"), as every other folder does. A copy of
// runtime/_describe.ts's describeValue(), because config/ imports nothing of ours;
// tests/config/describe_test.ts holds the two to the same output.

import { CLIP_LENGTH } from "./_clip.ts";

/** A short description of a value for error messages. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === "function") return `function ${value.name || "(anonymous)"}`;
  if (typeof value === "object") {
    const name = (value as object).constructor?.name;
    return name ? `an instance of ${name}` : "an object";
  }
  if (typeof value === "string") return describeString(value);
  return `${typeof value} ${String(value)}`;
}

// At most CLIP_LENGTH characters, saying how many were left out; with a control character (NUL,
// a line break) or a lone surrogate escaped, the string then in JSON quotes, so the message stays
// one printable line and shows what is wrong.
function describeString(value: string): string {
  if (value === "") return "an empty string";
  const head = value.length > CLIP_LENGTH ? value.slice(0, CLIP_LENGTH) : value;
  const shown = /\p{Cc}/u.test(head) || !head.isWellFormed() ? JSON.stringify(head) : head;
  const more = value.length > CLIP_LENGTH
    ? `… (${value.length - CLIP_LENGTH} more characters)`
    : "";
  return `string ${shown}${more}`;
}
