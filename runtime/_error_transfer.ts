// Errors cross isolates (Web Workers, child processes) as plain data (this file, on the side that
// throws) and are re-created on the other side (_error_revive.ts) with their name, message, stack
// and cause, so callers can still branch on `name`, and for the classes fjord and the platform
// define, on `instanceof`. Apart, so that a worker's start loads no error class to revive.

/** An error as plain, structured-cloneable (and JSON-safe) data. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  cause?: SerializedError;
  /** A cause that is not an Error but a primitive (`cause: "ECONNRESET"`), kept as it was. */
  causeValue?: string | number | boolean | null;
  /** Own enumerable fields of primitive value (e.g. `exitCode`), kept for the caller. */
  fields?: Record<string, string | number | boolean | null>;
  /** Set when the thrown value was not an Error: its `String()` form is the message. */
  nonError?: boolean;
  /** Re-created as this class: a `DOMException` (by its name) or an `AggregateError`. */
  kind?: "DOMException" | "AggregateError";
  /** An `AggregateError`'s errors. */
  errors?: SerializedError[];
}

const MAX_DEPTH = 5;
const MAX_AGGREGATED = 100;

// A property read that may run a getter that throws: a thrown value fjord cannot read used to
// end the worker that tried, and its task was run again on the next worker, and the next.
function read(value: object, key: PropertyKey): unknown {
  try {
    return (value as Record<PropertyKey, unknown>)[key];
  } catch {
    return undefined;
  }
}

function describeThrown(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    const json = JSON.stringify(value);
    if (json !== undefined) return json;
  } catch {
    // A cycle, a BigInt, a throwing toJSON: String() below.
  }
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value); // a null-prototype object
  }
}

function isPrimitiveField(v: unknown): v is string | number | boolean | null {
  return v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean";
}

/** Describes a thrown value as data; never throws, whatever the value's getters do. */
export function serializeError(value: unknown, depth = 0): SerializedError {
  try {
    return serializeUnsafe(value, depth);
  } catch (err) {
    return {
      name: "Error",
      message: `Task threw a value fjord could not read: ${
        err instanceof Error ? err.message : describeThrown(err)
      }`,
      nonError: true,
    };
  }
}

function serializeUnsafe(value: unknown, depth: number): SerializedError {
  if (!(value instanceof Error)) {
    const text = describeThrown(value);
    return {
      name: "Error",
      message: depth === 0 ? `Task threw a non-Error value: ${text}` : text,
      nonError: true,
    };
  }
  const name = read(value, "name");
  const message = read(value, "message");
  const out: SerializedError = {
    name: typeof name === "string" ? name : "Error",
    message: typeof message === "string"
      ? message
      : message === undefined
      ? ""
      : describeThrown(message),
  };
  const stack = read(value, "stack");
  if (typeof stack === "string") out.stack = stack;
  if (value instanceof DOMException) out.kind = "DOMException";
  if (value instanceof AggregateError) {
    out.kind = "AggregateError";
    const errors = read(value, "errors");
    out.errors = Array.isArray(errors) && depth < MAX_DEPTH
      ? errors.slice(0, MAX_AGGREGATED).map((e) => serializeError(e, depth + 1))
      : [];
  }
  const fields: Record<string, string | number | boolean | null> = {};
  let any = false;
  for (const k of Object.keys(value)) {
    const v = read(value, k);
    if (isPrimitiveField(v)) {
      fields[k] = v;
      any = true;
    }
  }
  if (any) out.fields = fields;
  const cause = read(value, "cause");
  if (isPrimitiveField(cause)) out.causeValue = cause;
  else if (cause !== undefined && depth < MAX_DEPTH) out.cause = serializeError(cause, depth + 1);
  return out;
}
