// Errors cross isolates (Web Workers, child processes) as plain data and are re-created on the
// other side with their name, message, stack and cause, so callers can still branch on `name`.

/** An error as plain, structured-cloneable (and JSON-safe) data. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  cause?: SerializedError;
  /** Own enumerable fields of primitive value (e.g. `exitCode`), kept for the caller. */
  fields?: Record<string, string | number | boolean | null>;
  /** Set when the thrown value was not an Error: its `String()` form is the message. */
  nonError?: boolean;
}

const BUILT_INS: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

export function serializeError(value: unknown, depth = 0): SerializedError {
  if (!(value instanceof Error)) {
    let text: string;
    try {
      text = typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
    return { name: "Error", message: `Task threw a non-Error value: ${text}`, nonError: true };
  }
  const out: SerializedError = { name: value.name, message: value.message };
  if (value.stack !== undefined) out.stack = value.stack;
  const fields: Record<string, string | number | boolean | null> = {};
  let any = false;
  for (const [k, v] of Object.entries(value)) {
    if (v === null || ["string", "number", "boolean"].includes(typeof v)) {
      fields[k] = v as string | number | boolean | null;
      any = true;
    }
  }
  if (any) out.fields = fields;
  if (value.cause !== undefined && depth < 5) out.cause = serializeError(value.cause, depth + 1);
  return out;
}

export function deserializeError(data: SerializedError): Error {
  const Ctor = BUILT_INS[data.name] ?? Error;
  const options = data.cause ? { cause: deserializeError(data.cause) } : undefined;
  const err = new Ctor(data.message, options);
  if (err.name !== data.name) {
    Object.defineProperty(err, "name", {
      value: data.name,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  if (data.fields) {
    for (const [k, v] of Object.entries(data.fields)) {
      if (k !== "name" && k !== "message" && k !== "stack") {
        (err as unknown as Record<string, unknown>)[k] = v;
      }
    }
  }
  if (data.stack !== undefined) err.stack = data.stack;
  return err;
}
