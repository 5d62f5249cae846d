import assert from "node:assert/strict";
import { LogErrors } from "../../process/mod.ts";

Deno.test("LogErrors has oslo's values and is frozen", () => {
  assert.deepEqual({ ...LogErrors }, { DEFAULT: 0, ALL: 1, FINAL: 2 });
  assert.ok(Object.isFrozen(LogErrors));
});
