// Semantics found wrong by fault-probing config/: each test failed before its fix.

import assert from "node:assert/strict";
import { Config, strOpt } from "../../config/mod.ts";
import { captureConfigLog, tempDir } from "./_helpers.ts";

Deno.test("Config.mutate() keeps an immutable option whose $ref names a mutable one that changed", async () => {
  await using dir = await tempDir();
  const file = await dir.write("a.conf", "[DEFAULT]\nhost = a\nurl = http://$host/\n");
  const log = captureConfigLog();
  const conf = new Config({ logger: log.logger });
  conf.registerOpts([strOpt("host", { mutable: true }), strOpt("url")]);
  await conf.load({ files: [file] });
  await dir.write("a.conf", "[DEFAULT]\nhost = b\nurl = http://$host/\n");
  const result = await conf.mutate();
  assert.deepEqual(result, {
    changed: [{ group: "DEFAULT", name: "host", old: "a", new: "b" }],
    ignored: [{ group: "DEFAULT", name: "url" }],
  });
  assert.equal(conf.get("host"), "b");
  assert.equal(conf.get("url"), "http://a/");
  assert.ok(!log.lines.some((line) => line.includes("url changed")), log.lines.join("\n"));
  // Still pinned after a registration clears the cache; reload() applies the new value.
  conf.registerOpt(strOpt("other"));
  assert.equal(conf.get("url"), "http://a/");
  const reloaded = await conf.reload();
  assert.deepEqual(reloaded.changed, [{
    group: "DEFAULT",
    name: "url",
    old: "http://a/",
    new: "http://b/",
  }]);
});
