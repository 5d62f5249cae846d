// oslo.config's `$name` / `${group.name}` template syntax (Python string.Template with oslo's
// dotted identifier pattern). `$$` and `\$` both stand for a literal `$`; a `$` that starts no
// valid reference (`$1`, `$ `) is kept as written.

const REF = /\\\$|\$(?:(\$)|([_a-z][._a-z0-9]*)|\{([_a-z][._a-z0-9]*)\})/gi;

/** Whether `text` could contain a reference or escape (fast path for plain values). */
export function hasTemplate(text: string): boolean {
  return text.includes("$");
}

/** Replaces every reference in `text` with `resolve(reference)`. */
export function substitute(text: string, resolve: (ref: string) => string): string {
  return text.replace(
    REF,
    (
      match: string,
      escaped: string | undefined,
      named: string | undefined,
      braced: string | undefined,
    ) => {
      if (match === "\\$" || escaped !== undefined) return "$";
      return resolve((named ?? braced)!);
    },
  );
}
