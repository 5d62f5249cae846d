// How error messages describe a bad argument ("number 5", "string 2", "an instance of Map",
// "function f", "null"): by its type as well as its value, so "2" the string does not read as 2 the
// number. On the ground floor so every folder's option checks say it the same way.

/** A short description of a value for error messages. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === "function") return `function ${value.name || "(anonymous)"}`;
  if (typeof value === "object") {
    const name = (value as object).constructor?.name;
    return name ? `an instance of ${name}` : "an object";
  }
  if (value === "") return "an empty string";
  return `${typeof value} ${String(value)}`;
}
