import assert from "node:assert/strict";
import { describeValue } from "../../config/_describe.ts";
import { describeValue as runtimeDescribeValue } from "../../runtime/_describe.ts";

Deno.test("config's describeValue() says what runtime's does (a copy, as config/ imports nothing of ours)", () => {
  const samples: unknown[] = [
    2,
    "2",
    2n,
    true,
    Number.NaN,
    "",
    null,
    undefined,
    [null],
    new Map(),
    Object.create(null),
    function f(): void {},
    () => {},
    Symbol("s"),
    "x".repeat(250),
    "a\0b",
    "two\nlines",
    "a\uD800",
  ];
  samples.forEach((value, i) => {
    assert.equal(describeValue(value), runtimeDescribeValue(value), `sample ${i}`);
  });
  assert.equal(describeValue("2"), "string 2");
  assert.equal(describeValue([null]), "an instance of Array");
});
