// The receiving side of _error_transfer.ts: re-creates a thrown error from its data.

import type { SerializedError } from "./_error_transfer.ts";
import { ServiceNotFoundError } from "./service_ref.ts";
import { TaskNotFoundError } from "./task_ref.ts";

const BUILT_INS: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

// fjord's own errors that a worker raises for its parent: re-created with their class.
const FJORD_CLASSES: Record<string, object> = {
  TaskNotFoundError: TaskNotFoundError.prototype,
  ServiceNotFoundError: ServiceNotFoundError.prototype,
};

export function deserializeError(data: SerializedError): Error {
  const options = data.cause
    ? { cause: deserializeError(data.cause) }
    : "causeValue" in data
    ? { cause: data.causeValue }
    : undefined;
  let err: Error;
  if (data.kind === "DOMException") {
    err = new DOMException(data.message, data.name);
    if (options) {
      Object.defineProperty(err, "cause", {
        value: options.cause,
        configurable: true,
        writable: true,
      });
    }
  } else if (data.kind === "AggregateError") {
    err = new AggregateError((data.errors ?? []).map(deserializeError), data.message, options);
  } else {
    err = new (BUILT_INS[data.name] ?? Error)(data.message, options);
    const proto = FJORD_CLASSES[data.name];
    if (proto !== undefined) Object.setPrototypeOf(err, proto);
  }
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
