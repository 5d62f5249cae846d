// oslo.config's `$name` / `${group.name}` template syntax (Python string.Template with oslo's
// dotted identifier pattern). `$$` and `\$` both stand for a literal `$`; a `$` that starts no
// valid reference (`$1`, `$ `) is kept as written.

const REF = /\\\$|\$(?:(\$)|([_a-z][._a-z0-9]*)|\{([_a-z][._a-z0-9]*)\})/gi;

/** Thrown by {@linkcode substitute} when the result would exceed its length limit. */
export class SubstitutionTooLong extends Error {
  constructor(readonly limit: number) {
    super(`substituted value longer than ${limit} characters`);
    this.name = "SubstitutionTooLong";
  }
}

/** Whether `text` could contain a reference or escape (fast path for plain values). */
export function hasTemplate(text: string): boolean {
  return text.includes("$");
}

/**
 * Replaces every reference in `text` with `resolve(reference)`. The result is built piece by
 * piece and abandoned as soon as it would pass `maxLength`, so a value that references another
 * many times (`$a$a$a…`, each `$a` long) never materializes.
 */
export function substitute(
  text: string,
  resolve: (ref: string) => string,
  maxLength: number,
): string {
  const parts: string[] = [];
  let size = 0;
  const add = (piece: string): void => {
    size += piece.length;
    if (size > maxLength) throw new SubstitutionTooLong(maxLength);
    parts.push(piece);
  };
  let last = 0;
  for (const m of text.matchAll(REF)) {
    add(text.slice(last, m.index));
    add(m[0] === "\\$" || m[1] !== undefined ? "$" : resolve((m[2] ?? m[3])!));
    last = m.index + m[0].length;
  }
  add(text.slice(last));
  return parts.join("");
}
