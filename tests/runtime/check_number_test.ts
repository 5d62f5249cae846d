import assert from "node:assert/strict";
import { checkNumber, numberError } from "../../runtime/_check_number.ts";
import { describeValue } from "../../runtime/_describe.ts";

const atLeastOne = (n: number): boolean => Number.isInteger(n) && n >= 1;

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

Deno.test("checkNumber: a value that is not a number is a TypeError describing it by type", () => {
  for (
    const [value, shown] of [["2", "string 2"], [2n, "bigint 2"], [null, "null"], [
      {},
      "an instance of Object",
    ], [true, "boolean true"]] as const
  ) {
    assert.throws(() => checkNumber(value, "create pool", "size", "an integer >= 1", atLeastOne), {
      name: "TypeError",
      message: `Cannot create pool as 'size' must be an integer >= 1: current value is ${shown}`,
    });
  }
});

Deno.test("checkNumber: a number the rule refuses (NaN, Infinity, -1, 1.5) is a RangeError", () => {
  for (const value of [Number.NaN, Infinity, -1, 1.5]) {
    assert.throws(() => checkNumber(value, "create pool", "size", "an integer >= 1", atLeastOne), {
      name: "RangeError",
      message:
        `Cannot create pool as 'size' must be an integer >= 1: current value is number ${value}`,
    });
  }
  assert.equal(checkNumber(3, "create pool", "size", "an integer >= 1", atLeastOne), 3);
  assert.equal(numberError(3, "create pool", "size", "an integer >= 1", atLeastOne), undefined);
});
