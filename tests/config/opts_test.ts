import assert from "node:assert/strict";
import {
  boolOpt,
  Config,
  ConfigValueError,
  floatOpt,
  generateSample,
  intOpt,
  listOpt,
  logOptions,
  multiStrOpt,
  type Opt,
  portOpt,
  strOpt,
} from "../../config/mod.ts";

function valueOf(opt: Opt, raw: unknown): unknown {
  const conf = new Config();
  conf.registerOpt(opt, "g");
  conf.setOverride(opt.name, raw, "g");
  return conf.get(opt.name, "g");
}

function rejects(opt: Opt, raw: unknown, reason: RegExp): void {
  const conf = new Config();
  conf.registerOpt(opt, "g");
  assert.throws(() => conf.setOverride(opt.name, raw, "g"), (e: unknown) => {
    assert.ok(e instanceof ConfigValueError, `expected ConfigValueError, got ${String(e)}`);
    assert.equal(e.option, opt.name);
    assert.equal(e.group, "g");
    assert.match(e.reason, reason);
    return true;
  });
}

Deno.test("strOpt() builds a frozen string option with defaults filled in", () => {
  const opt = strOpt("name");
  assert.deepEqual(opt, {
    name: "name",
    type: "string",
    default: undefined,
    help: "",
    choices: undefined,
    min: undefined,
    max: undefined,
    required: false,
    secret: false,
    mutable: false,
    deprecatedName: undefined,
  });
  assert.ok(Object.isFrozen(opt));
  assert.deepEqual(
    strOpt("a", { choices: ["x"], default: "x" }),
    strOpt("a", { choices: ["x"], default: "x" }),
  );
});

Deno.test("option factories reject bad arguments with TypeError or RangeError", () => {
  assert.throws(() => strOpt(""), TypeError);
  assert.throws(() => strOpt("has space"), TypeError);
  assert.throws(() => strOpt("1abc"), TypeError);
  assert.throws(() => strOpt("a", { default: 1 as unknown as string }), TypeError);
  assert.throws(() => strOpt("a", { choices: ["x"], default: "y" }), RangeError);
  assert.throws(() => strOpt("a", { min: 1 } as never), TypeError);
  assert.throws(() => intOpt("a", { default: 1.5 }), RangeError);
  assert.throws(() => intOpt("a", { min: 5, max: 1 }), RangeError);
  assert.throws(
    () => intOpt("a", { min: 1, default: 0 }),
    /Cannot create integer option as 'default' must be >= 1: current value is number 0$/,
  );
  assert.throws(() => intOpt("a", { max: 1, default: 2 }), RangeError);
  assert.throws(() => intOpt("a", { choices: [1, 2], default: 3 }), RangeError);
  assert.throws(() => floatOpt("a", { default: Number.NaN }), RangeError);
  assert.throws(() => portOpt("a", { max: 70000 }), RangeError);
  assert.throws(() => portOpt("a", { min: -1 }), RangeError);
  assert.throws(() => boolOpt("a", { default: "true" as unknown as boolean }), TypeError);
  assert.throws(() => boolOpt("a", { choices: [true] } as never), TypeError);
  assert.throws(() => listOpt("a", { default: "a,b" as unknown as string[] }), TypeError);
  assert.throws(() => listOpt("a", { choices: ["x"], default: ["y"] }), RangeError);
  assert.throws(() => multiStrOpt("a", { help: 1 as unknown as string }), TypeError);
  assert.throws(() => strOpt("a", { deprecatedName: "bad name" }), TypeError);
  assert.throws(() => strOpt("a", { secret: "yes" as unknown as boolean }), TypeError);
});

Deno.test("intOpt() reads signed decimal integers within min/max", () => {
  const opt = intOpt("n", { min: -5, max: 100 });
  assert.equal(valueOf(opt, " +42 "), 42);
  assert.equal(valueOf(opt, "-5"), -5);
  assert.equal(valueOf(opt, 100), 100);
  rejects(opt, "1.0", /integer/);
  rejects(opt, "0x10", /integer/);
  rejects(opt, "12abc", /integer/);
  rejects(opt, 1.5, /integer/);
  rejects(opt, true, /integer/);
  rejects(opt, "101", />= -5 and <= 100/);
  rejects(opt, "-6", />= -5 and <= 100/);
  rejects(intOpt("big"), "99999999999999999999", /safe integer/);
  assert.equal(valueOf(intOpt("e"), ""), undefined);
});

Deno.test("floatOpt() reads decimal and exponent forms and rejects non-finite values", () => {
  const opt = floatOpt("f", { min: 0 });
  assert.equal(valueOf(opt, "1.5"), 1.5);
  assert.equal(valueOf(opt, ".5"), 0.5);
  assert.equal(valueOf(opt, "2e-3"), 0.002);
  assert.equal(valueOf(opt, "3"), 3);
  rejects(opt, "inf", /number/);
  rejects(opt, "1,5", /number/);
  rejects(opt, Number.POSITIVE_INFINITY, /finite/);
  rejects(opt, "-0.1", />= 0/);
});

Deno.test("portOpt() accepts 0..65535 narrowed by min/max and choices", () => {
  assert.equal(valueOf(portOpt("p"), "0"), 0);
  assert.equal(valueOf(portOpt("p"), "65535"), 65535);
  rejects(portOpt("p"), "65536", /<= 65535/);
  rejects(portOpt("p"), "-1", />= 0/);
  rejects(portOpt("p", { min: 1024 }), "80", />= 1024/);
  rejects(portOpt("p", { choices: [80, 443] }), "8080", /80, 443/);
  assert.equal(portOpt("p").min, 0);
  assert.equal(portOpt("p").max, 65535);
});

Deno.test("boolOpt() reads true/false, yes/no, on/off, 1/0 in any case", () => {
  const opt = boolOpt("b");
  for (const t of ["true", "TRUE", "Yes", "on", "1", " true "]) {
    assert.equal(valueOf(opt, t), true, t);
  }
  for (const f of ["false", "No", "OFF", "0"]) assert.equal(valueOf(opt, f), false, f);
  rejects(opt, "", /true\/false/);
  rejects(opt, "enabled", /true\/false/);
  rejects(opt, 1, /true\/false/);
});

Deno.test("strOpt() enforces choices and keeps text as written", () => {
  const opt = strOpt("s", { choices: ["a", "b"] });
  assert.equal(valueOf(opt, "a"), "a");
  rejects(opt, "c", /"a", "b"/);
  rejects(opt, "A", /"a", "b"/);
  rejects(strOpt("s"), 5, /string/);
  assert.equal(valueOf(strOpt("s"), "  kept  "), "  kept  ");
});

Deno.test("listOpt() splits on commas, trims items and checks each against choices", () => {
  const opt = listOpt("l");
  assert.deepEqual(valueOf(opt, "a, b ,c"), ["a", "b", "c"]);
  assert.deepEqual(valueOf(opt, "a,b,"), ["a", "b"]);
  assert.deepEqual(valueOf(opt, "a,,b"), ["a", "", "b"]);
  assert.deepEqual(valueOf(opt, "  "), []);
  assert.deepEqual(valueOf(opt, ["x", "y"]), ["x", "y"]);
  rejects(opt, [1], /array of strings/);
  rejects(listOpt("l", { choices: ["a", "b"] }), "a,c", /"a", "b"/);
});

Deno.test("multiStrOpt() takes arrays of strings and checks each item", () => {
  const opt = multiStrOpt("m", { choices: ["x", "y"] });
  assert.deepEqual(valueOf(opt, ["x", "y", "x"]), ["x", "y", "x"]);
  assert.deepEqual(valueOf(opt, "x"), ["x"]);
  rejects(opt, ["z"], /"x", "y"/);
});

Deno.test("intOpt, floatOpt: a number field given as a string is a TypeError naming it a string", () => {
  assert.throws(() => intOpt("a", { default: "2" as unknown as number }), {
    name: "TypeError",
    message:
      "Cannot create integer option as 'default' must be a finite integer: current value is string 2",
  });
  assert.throws(() => floatOpt("a", { min: "0.5" as unknown as number }), {
    name: "TypeError",
    message:
      "Cannot create float option as 'min' must be a finite number: current value is string 0.5",
  });
  assert.throws(() => intOpt("a", { choices: [1, "2" as unknown as number] }), {
    name: "TypeError",
    message:
      "Cannot create integer option as 'choices[]' must be a finite integer: current value is string 2",
  });
});

Deno.test("intOpt, floatOpt: a number field out of range (NaN, Infinity, 1.5 for an integer, -1) stays a RangeError", () => {
  assert.throws(() => floatOpt("a", { default: Number.NaN }), {
    name: "RangeError",
    message:
      "Cannot create float option as 'default' must be a finite number: current value is number NaN",
  });
  assert.throws(() => intOpt("a", { max: Infinity }), {
    name: "RangeError",
    message: /'max' must be a finite integer: current value is number Infinity$/,
  });
  assert.throws(() => intOpt("a", { default: 1.5 }), {
    name: "RangeError",
    message: /'default' must be a finite integer: current value is number 1\.5$/,
  });
  assert.throws(() => portOpt("a", { min: -1 }), {
    name: "RangeError",
    message: "Cannot create port option as 'min' must be >= 0: current value is number -1",
  });
});

Deno.test("option factories describe a bad string or list by type, naming the bad item", () => {
  assert.throws(() => strOpt("a", { choices: ["x", 5 as unknown as string] }), {
    name: "TypeError",
    message:
      "Cannot create string option as 'choices[1]' must be a string: current value is number 5",
  });
  assert.throws(() => listOpt("a", { default: "a,b" as unknown as string[] }), {
    name: "TypeError",
    message:
      "Cannot create list option as 'default' must be an array of strings: current value is string a,b",
  });
  assert.throws(() => strOpt(""), {
    name: "TypeError",
    message: /'name' must be a letter .*: current value is an empty string$/,
  });
  assert.throws(() => boolOpt("a", { default: "true" as unknown as boolean }), {
    name: "TypeError",
    message:
      "Cannot create boolean option as 'default' must be a boolean: current value is string true",
  });
});

Deno.test("option constructors, generateSample() and logOptions() name a bad argument and show it", () => {
  // strOpt("s", 5) was taken as no options; a bad deprecatedName blamed 'name'; generateSample(5)
  // and logOptions(5) failed with "conf.listOpts is not a function" and a 'logger.debug' message.
  assert.throws(() => strOpt("s", 5 as never), {
    name: "TypeError",
    message:
      "Cannot create string option as 'options' must be an object: current value is number 5",
  });
  assert.throws(
    () => intOpt("n", null as never),
    /'options' must be an object: current value is null/,
  );
  assert.throws(() => strOpt("s", { deprecatedName: "bad name" }), {
    name: "TypeError",
    message: /^Cannot create string option as 'deprecatedName' must be a letter/,
  });
  assert.throws(() => generateSample(5 as never), {
    name: "TypeError",
    message: "Cannot generate a sample as 'conf' must be a Config: current value is number 5",
  });
  assert.throws(() => logOptions(5 as never), {
    name: "TypeError",
    message: "Cannot log options as 'conf' must be a Config: current value is number 5",
  });
});

Deno.test("Config.load() refuses an empty path in files or dirs at the call, as --config-file=", () => {
  const conf = new Config();
  assert.throws(() => conf.load({ files: [""] }), {
    name: "TypeError",
    message:
      "Cannot load config as 'files[0]' must be a non-empty path: current value is an empty string",
  });
  assert.throws(() => conf.load({ dirs: ["/etc", ""] }), /'dirs\[1\]' must be a non-empty path/);
});
