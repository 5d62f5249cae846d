import assert from "node:assert/strict";
import { deserializeError } from "../../runtime/_error_revive.ts";
import { serializeError } from "../../runtime/_error_transfer.ts";
import { TaskNotFoundError } from "../../runtime/task_ref.ts";

class QuotaError extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`over ${limit}`);
    this.name = "QuotaError";
    this.limit = limit;
  }
}

Deno.test("errors survive a structured clone with name, message, stack, fields and cause", () => {
  const original = new QuotaError(5);
  original.cause = new RangeError("inner");
  const copy = deserializeError(structuredClone(serializeError(original)));
  assert.equal(copy.name, "QuotaError");
  assert.equal(copy.message, "over 5");
  assert.equal(copy.stack, original.stack);
  assert.equal((copy as unknown as { limit: number }).limit, 5);
  assert.ok(copy.cause instanceof RangeError);
  assert.equal((copy.cause as Error).message, "inner");
});

Deno.test("built-in error types are re-created as their own class", () => {
  assert.ok(deserializeError(serializeError(new TypeError("t"))) instanceof TypeError);
  assert.ok(deserializeError(serializeError(new SyntaxError("s"))) instanceof SyntaxError);
});

Deno.test("a thrown non-Error value becomes a clear Error", () => {
  const fromString = deserializeError(serializeError("plain string"));
  assert.equal(fromString.message, "Task threw a non-Error value: plain string");
  const fromObject = deserializeError(serializeError({ code: 7 }));
  assert.equal(fromObject.message, 'Task threw a non-Error value: {"code":7}');
  const fromUndefined = deserializeError(serializeError(undefined));
  assert.equal(fromUndefined.message, "Task threw a non-Error value: undefined");
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.match(deserializeError(serializeError(cyclic)).message, /non-Error value/);
});

Deno.test("a thrown value whose getters throw, or that has no string form, is described, never thrown", () => {
  // serializeError used to throw on these inside the worker, which then died: its task was run
  // again on the next worker, three times in all, and repeating it broke the pool.
  const getter = new Error("charged the card");
  Object.defineProperty(getter, "detail", {
    enumerable: true,
    get(): never {
      throw new Error("getter broke");
    },
  });
  const copy = deserializeError(structuredClone(serializeError(getter)));
  assert.equal(copy.message, "charged the card");
  const nullProto = Object.create(null) as Record<string, unknown>;
  nullProto.self = nullProto;
  assert.match(
    deserializeError(serializeError(nullProto)).message,
    /^Task threw a non-Error value: \[object Object\]$/,
  );
  const hostile = new Proxy(new Error("x"), {
    getPrototypeOf(): never {
      throw new Error("no prototype for you");
    },
  });
  assert.match(
    deserializeError(serializeError(hostile)).message,
    /^Task threw a value fjord could not read: .*no prototype for you/,
  );
});

Deno.test("fjord's, the platform's and aggregate errors come back as their class, a primitive cause as it was", () => {
  const notFound = deserializeError(
    structuredClone(serializeError(new TaskNotFoundError("file:///t.ts", "fib", "it is missing"))),
  );
  assert.ok(notFound instanceof TaskNotFoundError);
  assert.equal(notFound.export, "fib");
  assert.equal(notFound.message, "Cannot load task 'fib' from 'file:///t.ts' as it is missing");
  const dom = deserializeError(
    structuredClone(serializeError(new DOMException("too slow", "TimeoutError"))),
  );
  assert.ok(dom instanceof DOMException);
  assert.equal(dom.name, "TimeoutError");
  assert.equal(dom.code, DOMException.TIMEOUT_ERR);
  const aggregate = deserializeError(
    structuredClone(serializeError(new AggregateError([new TypeError("a"), "b"], "both"))),
  );
  assert.ok(aggregate instanceof AggregateError);
  assert.equal(aggregate.errors.length, 2);
  assert.ok(aggregate.errors[0] instanceof TypeError);
  assert.equal(aggregate.errors[1].message, "b");
  // A string cause used to come back as an Error "Task threw a non-Error value: ECONNRESET".
  const withCode = deserializeError(
    structuredClone(serializeError(new Error("reset", { cause: "ECONNRESET" }))),
  );
  assert.equal(withCode.cause, "ECONNRESET");
});
