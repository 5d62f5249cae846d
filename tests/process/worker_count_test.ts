import assert from "node:assert/strict";
import { getWorkerCount } from "../../process/mod.ts";

Deno.test("getWorkerCount() is the CPU count the runtime reports", () => {
  const n = getWorkerCount();
  assert.ok(Number.isInteger(n) && n >= 1);
  assert.equal(n, navigator.hardwareConcurrency);
});
