// How error messages describe a bad argument ("number 5", "an instance of Map", "function f"):
// on the ground floor so every folder's option checks say it the same way.

/** A short description of a value for error messages. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === "function") return `function ${value.name || "(anonymous)"}`;
  if (typeof value === "object") {
    const name = (value as object).constructor?.name;
    return name ? `an instance of ${name}` : "an object";
  }
  return `${typeof value} ${String(value)}`;
}
