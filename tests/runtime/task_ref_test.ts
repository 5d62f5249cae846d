import assert from "node:assert/strict";
import { isTaskRef, loadTask, taskModuleUrl, TaskNotFoundError } from "../../backends/mod.ts";

const fixture = new URL("../service/_fixtures/tasks.ts", import.meta.url);

Deno.test("isTaskRef() accepts module+export objects only", () => {
  assert.ok(isTaskRef({ module: fixture, export: "double" }));
  assert.ok(isTaskRef({ module: fixture.href, export: "double" }));
  assert.ok(!isTaskRef(() => 1));
  assert.ok(!isTaskRef({ module: fixture }));
  assert.ok(!isTaskRef(null));
});

Deno.test("taskModuleUrl() returns the absolute URL and rejects relative or empty names", () => {
  assert.equal(taskModuleUrl({ module: fixture, export: "double" }), fixture.href);
  assert.throws(() => taskModuleUrl({ module: "./tasks.ts", export: "double" }), /absolute URL/);
  assert.throws(() => taskModuleUrl({ module: fixture, export: "" }), /'export' name is empty/);
  assert.throws(
    () => taskModuleUrl(42 as unknown as { module: string; export: string }, "fn"),
    /Cannot use 'fn' as it is not a TaskRef/,
  );
});

Deno.test("loadTask() imports the module and returns the exported function", async () => {
  const fn = await loadTask({ module: fixture, export: "double" });
  assert.equal(fn(21), 42);
});

Deno.test("loadTask() names module and export when the export is missing or not a function", async () => {
  const missing = await loadTask({ module: fixture, export: "nope" }).catch((e) => e);
  assert.ok(missing instanceof TaskNotFoundError);
  assert.equal(missing.module, fixture.href);
  assert.equal(missing.export, "nope");
  assert.match(missing.message, /no such export/);
  const notFn = await loadTask({ module: fixture, export: "notAFunction" }).catch((e) => e);
  assert.ok(notFn instanceof TaskNotFoundError);
  assert.match(notFn.message, /is a number, not a function/);
});

Deno.test("loadTask() names the module when it cannot be imported", async () => {
  const url = new URL("./_fixtures/does_not_exist.ts", import.meta.url);
  const err = await loadTask({ module: url, export: "x" }).catch((e) => e);
  assert.ok(err instanceof TaskNotFoundError);
  assert.equal(err.module, url.href);
  assert.match(err.message, /failed to load/);
  assert.ok(err.cause !== undefined);
});
