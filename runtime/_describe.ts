// How error messages describe a bad argument ("number 5", "string 2", "an instance of Map",
// "function f", "null"): by its type as well as its value, so "2" the string does not read as 2 the
// number. On the ground floor so every folder's option checks say it the same way.

/** How many characters of a string a description shows (hostile input may be huge). */
const SHOWN_LENGTH = 200;

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

// At most SHOWN_LENGTH characters, saying how many were left out; with a control character (NUL,
// a line break) or a lone surrogate escaped, the string then in JSON quotes, so the message stays
// one printable line and shows what is wrong.
function describeString(value: string): string {
  if (value === "") return "an empty string";
  const head = value.length > SHOWN_LENGTH ? value.slice(0, SHOWN_LENGTH) : value;
  const shown = /\p{Cc}/u.test(head) || !head.isWellFormed() ? JSON.stringify(head) : head;
  const more = value.length > SHOWN_LENGTH
    ? `… (${value.length - SHOWN_LENGTH} more characters)`
    : "";
  return `string ${shown}${more}`;
}
