import assert from "node:assert/strict";
import {
  boolOpt,
  CONCURRENCY_GROUP,
  concurrencyOpts,
  Config,
  floatOpt,
  generateSample,
  intOpt,
  listOpt,
  multiStrOpt,
  parseIni,
  portOpt,
  serviceOpts,
  strOpt,
} from "../../config/mod.ts";
import { tempDir } from "./_helpers.ts";

function sampleConfig(): Config {
  const conf = new Config();
  conf.registerOpts(serviceOpts);
  conf.registerOpts(concurrencyOpts, CONCURRENCY_GROUP);
  conf.registerOpts([
    strOpt("mode", { default: "fast", choices: ["fast", "safe"], help: "How to run." }),
    intOpt("workers", {
      default: 4,
      min: 1,
      max: 64,
      required: true,
      deprecatedName: "old-workers",
    }),
    floatOpt("ratio", { default: 0.25 }),
    boolOpt("debug", { default: false }),
    listOpt("hosts", { default: ["a", "b"] }),
    multiStrOpt("filters", { default: ["x", "y"] }),
    portOpt("port", { default: 8080 }),
    strOpt("password", { default: "hunter2", secret: true }),
    strOpt("banner", { default: "  padded\nsecond line" }),
  ], "app");
  return conf;
}

Deno.test("generateSample() renders groups, help, types, ranges and commented defaults", () => {
  const sample = generateSample(sampleConfig());
  assert.ok(sample.startsWith("[DEFAULT]\n\n# Specify a timeout"));
  assert.ok(
    sample.includes(
      [
        "[app]",
        "",
        "# How to run. (string value)",
        "# Possible values:",
        "# fast",
        "# safe",
        "#mode = fast",
        "",
        "# (integer value)",
        "# Minimum value: 1",
        "# Maximum value: 64",
        "# This option is required.",
        "# Deprecated name: old_workers",
        "#workers = 4",
        "",
        "# (floating point value)",
        "#ratio = 0.25",
        "",
        "# (boolean value)",
        "#debug = false",
        "",
        "# (list value)",
        "#hosts = a,b",
        "",
        "# (multi valued)",
        "#filters = x",
        "#filters = y",
        "",
        "# (port value)",
        "#port = 8080",
        "",
        "# (string value)",
        "#password = ***",
        "",
        "# (string value)",
        '#banner = "  padded"',
        "#    second line",
        "",
      ].join("\n"),
    ),
    sample,
  );
  assert.ok(
    sample.includes(
      "[oslo_concurrency]\n\n# Enables or disables inter-process locks. (boolean value)\n",
    ),
  );
  assert.ok(sample.includes("#lock_path = <None>\n"));
  assert.ok(
    sample.includes(
      "# Note: This option can be changed without restarting.\n#graceful_shutdown_timeout = 60\n",
    ),
  );
  assert.doesNotMatch(sample, /hunter2/);
  // Groups: DEFAULT first, then sorted.
  const headers = sample.split("\n").filter((l) => l.startsWith("["));
  assert.deepEqual(headers, ["[DEFAULT]", "[app]", "[oslo_concurrency]"]);
  // Help lines wrap at 70 columns.
  for (const line of sample.split("\n")) {
    assert.ok(line.length <= 72 || !line.startsWith("# "), line);
  }
});

Deno.test("generateSample() output loads as is and, uncommented, reproduces the defaults", async () => {
  const conf = sampleConfig();
  const sample = generateSample(conf);
  parseIni(sample, "sample.conf");
  await using dir = await tempDir();
  const commented = await dir.write("commented.conf", sample);
  const plain = new Config();
  plain.registerOpts(serviceOpts);
  plain.registerOpt(
    intOpt("workers", {
      default: 4,
      min: 1,
      max: 64,
      required: true,
      deprecatedName: "old-workers",
    }),
    "app",
  );
  await plain.load({ files: [commented] });
  assert.equal(plain.get("graceful_shutdown_timeout"), 60);

  // Uncomment every "#name = value" line (not <None>, not secrets) and load it into a Config
  // whose options have no defaults: every value must come back equal to the default.
  const uncommented = sample.split("\n").map((line) =>
    /^#[a-z_]+ = /.test(line) && !line.endsWith("<None>") && !line.endsWith("***")
      ? line.slice(1)
      : line.startsWith("#    ")
      ? line.slice(1)
      : line
  ).join("\n");
  const file = await dir.write("uncommented.conf", uncommented);
  const bare = new Config();
  for (const { group, opt } of conf.listOpts()) {
    bare.registerOpt({ ...opt, default: undefined, required: false }, group);
  }
  await bare.load({ files: [file] });
  let compared = 0;
  for (const { group, opt } of conf.listOpts()) {
    if (opt.default === undefined || opt.secret) continue;
    assert.deepEqual(bare.get(opt.name, group), opt.default, `${group}.${opt.name}`);
    compared++;
  }
  // Every option with a non-secret default: 3 of fjord's and 8 of sampleConfig()'s.
  assert.equal(compared, 11);
});

Deno.test("generateSample() of an empty Config is an empty [DEFAULT] section", () => {
  assert.equal(generateSample(new Config()), "[DEFAULT]\n");
});
