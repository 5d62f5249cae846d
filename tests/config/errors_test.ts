import assert from "node:assert/strict";
import {
  ConfigFileNotFoundError,
  ConfigFileParseError,
  ConfigSubstitutionError,
  ConfigValueError,
  DuplicateOptError,
  NoSuchOptError,
  RequiredOptError,
} from "../../config/mod.ts";

Deno.test("config errors carry their name, facts and cause", () => {
  const cause = new Error("root");
  const parse = new ConfigFileParseError("a.conf", 3, "empty key", { cause });
  assert.equal(parse.name, "ConfigFileParseError");
  assert.equal(parse.message, "Failed to parse a.conf:3: empty key");
  assert.deepEqual([parse.file, parse.line, parse.reason, parse.cause], [
    "a.conf",
    3,
    "empty key",
    cause,
  ]);

  const missing = new ConfigFileNotFoundError("/x.conf");
  assert.equal(missing.name, "ConfigFileNotFoundError");
  assert.equal(missing.message, "Config file not found: /x.conf");

  const value = new ConfigValueError("port", "api", "x", "must be an integer");
  assert.equal(value.name, "ConfigValueError");
  assert.equal(value.message, 'Invalid value for option [api] port: "x": must be an integer');
  assert.deepEqual([value.option, value.group, value.value], ["port", "api", "x"]);

  const sub = new ConfigSubstitutionError("a", "DEFAULT", "$b", "recursive");
  assert.equal(sub.name, "ConfigSubstitutionError");
  assert.ok(sub instanceof ConfigValueError);

  const required = new RequiredOptError("url", "db");
  assert.equal(required.name, "RequiredOptError");
  assert.equal(required.message, "Value required for option [db] url but none was set");

  const noSuch = new NoSuchOptError("x", "DEFAULT");
  assert.equal(noSuch.name, "NoSuchOptError");
  assert.equal(noSuch.message, "No such option [DEFAULT] x");

  const dup = new DuplicateOptError("x", "g", "differs in default");
  assert.equal(dup.name, "DuplicateOptError");
  assert.match(dup.message, /\[g\] x.*differs in default/);
});
