import assert from "node:assert/strict";
import { deserializeError, serializeError } from "../../runtime/_error_transfer.ts";

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
