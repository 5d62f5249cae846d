// Launcher workers see the parent's Config: its registered options and their values (files,
// overrides), for factories (ctx.conf) and class exports (currentWorker()); a reload hands the
// new values to the replacement workers, a mutate to the running ones.

import assert from "node:assert/strict";
import {
  Config,
  ConfigValueError,
  currentWorker,
  intOpt,
  ProcessLauncher,
  resetBackend,
  strOpt,
} from "@fjord/fjord";
import { captureLog, waitFor } from "../_util.ts";
import { stopLauncher } from "./_stop_launcher.ts";

const SERVICE = new URL("./_fixtures/config_service.ts", import.meta.url).href;

function events(dir: string): string[] {
  try {
    return Deno.readTextFileSync(`${dir}/events.log`).split("\n").filter(Boolean);
  } catch {
    return [];
  }
}

async function parentConf(file: string): Promise<Config> {
  const conf = new Config();
  conf.registerOpt(intOpt("port", { default: 1, mutable: true }), "api");
  conf.registerOpt(strOpt("mode", { default: "plain" }), "api");
  await conf.load({ files: [file] });
  conf.setOverride("mode", "overridden", "api");
  return conf;
}

Deno.test("currentWorker() is undefined outside a launcher worker", () => {
  assert.equal(currentWorker(), undefined);
});

for (const isolation of ["worker", "process"] as const) {
  for (const exp of ["ClassService", "factory"]) {
    Deno.test(`Launcher workers see the parent's options and values; a reload hands new values to replacements (${exp}, ${isolation})`, async () => {
      resetBackend();
      const dir = await Deno.makeTempDir({ prefix: "fjord-conf-" });
      const file = `${dir}/app.conf`;
      await Deno.writeTextFile(file, "[api]\nport = 8123\n");
      const conf = await parentConf(file);
      const launcher = new ProcessLauncher(conf, { isolation });
      try {
        launcher.launchService({ module: SERVICE, export: exp, args: [dir] }, { workers: 2 });
        await waitFor(() => events(dir).length === 2, "2 starts");
        const want = JSON.stringify([8123, "overridden", ["mode", "port"]]);
        assert.deepEqual(events(dir).sort(), [`start 0 ${want}`, `start 1 ${want}`]);
        await Deno.writeTextFile(file, "[api]\nport = 9000\n");
        await launcher.restart();
        const fresh = JSON.stringify([9000, "overridden", ["mode", "port"]]);
        assert.deepEqual(events(dir).slice(2).sort(), [`start 0 ${fresh}`, `start 1 ${fresh}`]);
      } finally {
        await stopLauncher(launcher, dir);
      }
    });
  }

  Deno.test(`A worker reading an option registered after load() with an invalid file value throws the parent's ConfigValueError (${isolation})`, async () => {
    resetBackend();
    const dir = await Deno.makeTempDir({ prefix: "fjord-conf-" });
    const file = `${dir}/app.conf`;
    await Deno.writeTextFile(file, "[api]\nworkers = 0\n");
    const conf = new Config();
    await conf.load({ files: [file] });
    conf.registerOpt(intOpt("workers", { default: 4, min: 1 }), "api");
    let want: unknown[] = [];
    try {
      conf.get("workers", "api");
      assert.fail("the parent read an invalid value");
    } catch (e) {
      const { name, message, option, group, value, reason } = e as ConfigValueError;
      want = [e instanceof ConfigValueError, name, message, option, group, value, reason];
    }
    const launcher = new ProcessLauncher(conf, { isolation });
    try {
      launcher.launchService({ module: SERVICE, export: "readsWorkers", args: [dir] });
      await waitFor(() => events(dir).length === 1, "1 start");
      assert.deepEqual(events(dir), [`start 0 ${JSON.stringify({ error: want })}`]);
    } finally {
      await stopLauncher(launcher, dir);
    }
  });

  Deno.test(`A mutate hands the parent's new values to running workers once (${isolation})`, async () => {
    resetBackend();
    const dir = await Deno.makeTempDir({ prefix: "fjord-conf-" });
    const file = `${dir}/app.conf`;
    await Deno.writeTextFile(file, "[api]\nport = 8123\nmode = a\n");
    const conf = await parentConf(file);
    conf.setOverride("mode", undefined, "api"); // from the file: immutable, so it stays "a"
    using log = captureLog();
    const launcher = new ProcessLauncher(conf, { isolation, restartMethod: "mutate" });
    try {
      launcher.launchService({ module: SERVICE, export: "factory", args: [dir] }, { workers: 2 });
      await waitFor(() => events(dir).length === 2, "2 starts");
      await Deno.writeTextFile(file, "[api]\nport = 9000\nmode = b\n");
      await launcher.restart();
      await waitFor(() => events(dir).length === 4, "2 resets");
      const want = JSON.stringify([9000, "a", ["mode", "port"]]);
      assert.deepEqual(events(dir).slice(2).sort(), [`reset 0 ${want}`, `reset 1 ${want}`]);
      // The parent read the files; the workers did not, so the warning is not repeated by each.
      const warnings = log.lines.filter((l) => /immutable option \[api\] mode/.test(l));
      assert.equal(warnings.length, 1);
    } finally {
      await stopLauncher(launcher, dir);
    }
  });
}
