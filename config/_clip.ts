// Error messages quote keys and values from files and command lines, which may be huge (a
// substitution bomb, a fuzzed file): a message shows at most CLIP_LENGTH characters of each.

/** How many characters of one key or value an error message quotes. */
export const CLIP_LENGTH = 200;

/** `text` cut to {@linkcode CLIP_LENGTH} characters, saying how much was left out. */
export function clip(text: string): string {
  if (text.length <= CLIP_LENGTH) return text;
  return `${text.slice(0, CLIP_LENGTH)}… (${text.length - CLIP_LENGTH} more characters)`;
}

/** `JSON.stringify(value)` of a string, clipped first (so the quotes stay balanced). */
export function quote(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(clip(value)) : clip(String(value));
}
