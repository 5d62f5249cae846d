import assert from "node:assert/strict";
import { describeValue } from "../../runtime/_describe.ts";

Deno.test("describeValue names the type with the value, so a string '2' does not read as 2", () => {
  assert.equal(describeValue(2), "number 2");
  assert.equal(describeValue("2"), "string 2");
  assert.equal(describeValue(2n), "bigint 2");
  assert.equal(describeValue(true), "boolean true");
  assert.equal(describeValue(Number.NaN), "number NaN");
  assert.equal(describeValue(""), "an empty string");
  assert.equal(describeValue(null), "null");
  assert.equal(describeValue(undefined), "undefined");
  assert.equal(describeValue([null]), "an instance of Array");
  assert.equal(describeValue(new Map()), "an instance of Map");
  assert.equal(describeValue(Object.create(null)), "an object");
  assert.equal(describeValue(function f(): void {}), "function f");
});

Deno.test("describeValue shows at most 200 characters of a string, and escapes control characters", () => {
  assert.equal(describeValue("x".repeat(250)), `string ${"x".repeat(200)}… (50 more characters)`);
  assert.equal(describeValue("a\0b"), 'string "a\\u0000b"');
  assert.equal(describeValue("two\nlines"), 'string "two\\nlines"');
  assert.equal(describeValue("a\ud800"), 'string "a\\ud800"');
});
