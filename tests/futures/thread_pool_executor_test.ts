import assert from "node:assert/strict";
import { initBackend, resetBackend } from "../../backends/mod.ts";
import { ThreadPoolExecutor } from "../../futures/mod.ts";

const add = { module: new URL("./_fixtures/tasks.ts", import.meta.url), export: "add" };

Deno.test("ThreadPoolExecutor is an async pool under the cooperative backend", async () => {
  resetBackend();
  initBackend("cooperative");
  try {
    await using ex = new ThreadPoolExecutor({ maxWorkers: 2 });
    assert.equal(ex.isolation, "isolate");
    assert.equal(await ex.submit(() => "closure"), "closure");
    assert.equal(await ex.submit(add, 1, 2), 3);
  } finally {
    resetBackend();
  }
});

Deno.test("ThreadPoolExecutor is a Worker pool under the threading backend", async () => {
  resetBackend();
  initBackend("threading");
  try {
    await using ex = new ThreadPoolExecutor({ maxWorkers: 1 });
    assert.equal(ex.isolation, "worker");
    assert.throws(() => ex.submit(() => 1), TypeError);
    assert.equal(await ex.submit(add, 2, 2), 4);
    assert.throws(() => new ThreadPoolExecutor({ maxWorkers: 0 }), RangeError);
  } finally {
    resetBackend();
  }
});
