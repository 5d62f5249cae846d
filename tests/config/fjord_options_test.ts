import assert from "node:assert/strict";
import {
  CONCURRENCY_GROUP,
  concurrencyOpts,
  Config,
  intOpt,
  logOptions,
  multiStrOpt,
  periodicTaskOpts,
  serviceOpts,
  strOpt,
} from "../../config/mod.ts";
import { captureConfigLog, tempDir } from "./_helpers.ts";

Deno.test("serviceOpts, periodicTaskOpts and concurrencyOpts hold fjord's options with oslo's defaults", () => {
  const conf = new Config();
  conf.registerOpts(serviceOpts);
  conf.registerOpts(periodicTaskOpts);
  conf.registerOpts(concurrencyOpts, CONCURRENCY_GROUP);
  assert.equal(conf.get("graceful_shutdown_timeout"), 60);
  assert.equal(conf.get("log_options"), true);
  assert.equal(conf.get("run_external_periodic_tasks"), true);
  assert.equal(conf.get("lock_path", "oslo_concurrency"), undefined);
  assert.equal(conf.get("disable_process_locking", "oslo_concurrency"), false);
  assert.throws(() => conf.setOverride("graceful_shutdown_timeout", -1));
  assert.ok(Object.isFrozen(serviceOpts));
});

Deno.test("fjord's option lists can be registered by every component that reads them", async () => {
  await using dir = await tempDir();
  const file = await dir.write(
    "a.conf",
    "[DEFAULT]\ngraceful_shutdown_timeout = 5\n[oslo_concurrency]\nlock_path = /run/locks\n",
  );
  const conf = new Config();
  conf.registerOpts(serviceOpts); // the launcher
  await conf.load({ files: [file] });
  conf.registerOpts(serviceOpts); // a service
  conf.registerOpts(concurrencyOpts, CONCURRENCY_GROUP); // the lock module, after loading
  conf.registerOpts(concurrencyOpts, CONCURRENCY_GROUP);
  assert.equal(conf.get<number>("graceful_shutdown_timeout"), 5);
  assert.equal(conf.get<string | undefined>("lock_path", CONCURRENCY_GROUP), "/run/locks");
});

Deno.test("logOptions() logs sources and every option at debug level with secrets as ***", async () => {
  await using dir = await tempDir();
  const file = await dir.write("a.conf", "[db]\npassword = hunter2\nport = nope\n");
  const conf = new Config();
  conf.registerOpts([...serviceOpts, multiStrOpt("m", { default: ["a", "b"] }), strOpt("unset")]);
  conf.registerOpts(
    [strOpt("password", { secret: true }), strOpt("token", { secret: true })],
    "db",
  );
  await conf.load({ args: ["--config-file", file] });
  conf.registerOpt(intOpt("port"), "db"); // registered late with a bad value
  const log = captureConfigLog();
  logOptions(conf, { logger: log.logger });
  const stars = "DEBUG " + "*".repeat(80);
  assert.deepEqual(log.lines, [
    stars,
    "DEBUG Configuration options gathered from:",
    `DEBUG command line args: ["--config-file", ${JSON.stringify(file)}]`,
    `DEBUG config files: [${JSON.stringify(file)}]`,
    "DEBUG " + "=".repeat(80),
    "DEBUG graceful_shutdown_timeout = 60",
    "DEBUG log_options = true",
    'DEBUG m = ["a", "b"]',
    "DEBUG unset = None",
    "DEBUG db.password = ***",
    "DEBUG db.token = None",
    'DEBUG db.port = <invalid: Invalid value for option [db] port: "nope": must be an integer>',
    stars,
  ]);
  assert.ok(log.lines.every((l) => !l.includes("hunter2")));
});

Deno.test("logOptions() masks secrets in the command-line arguments and substituted values", async () => {
  await using dir = await tempDir();
  const file = await dir.write("a.conf", "[DEFAULT]\npw = hunter2\ndsn = db://u:$pw@h\n");
  const conf = new Config();
  conf.registerOpts([strOpt("pw", { secret: true }), strOpt("dsn")]);
  await conf.load({
    args: [
      "--config-file",
      file,
      "--password",
      "hunter2",
      "--token=hunter2",
      "password",
      "-p",
      "hunter2",
      "--keep",
      "me",
    ],
  });
  const log = captureConfigLog();
  logOptions(conf, { logger: log.logger });
  assert.equal(
    log.lines[2],
    `DEBUG command line args: ["--config-file", ${
      JSON.stringify(file)
    }, "--password", "***", "--token=***", "password", "-p", "***", "--keep", "me"]`,
  );
  assert.ok(log.lines.includes("DEBUG pw = ***"));
  assert.ok(log.lines.includes("DEBUG dsn = ***"));
  for (const line of log.lines) assert.doesNotMatch(line, /hunter2/);
});
