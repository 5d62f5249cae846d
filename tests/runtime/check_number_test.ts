import assert from "node:assert/strict";
import { checkNumber, numberError } from "../../runtime/_check_number.ts";

const atLeastOne = (n: number): boolean => Number.isInteger(n) && n >= 1;

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
