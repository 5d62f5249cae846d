/**
 * Option schemas: what an option is called, its type, default and constraints.
 *
 * @module
 */

import { clip } from "./_clip.ts";
import { describeValue } from "./_describe.ts";

/**
 * The value type of an option (oslo.config's `StrOpt`, `IntOpt`, ... classes).
 *
 * @example
 * ```ts
 * import { listOpt, type OptType, portOpt } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * const types: OptType[] = [portOpt("port").type, listOpt("hosts").type];
 * assert.deepEqual(types, ["port", "list"]);
 * ```
 */
export type OptType = "string" | "integer" | "float" | "boolean" | "list" | "multistring" | "port";

/**
 * An option schema, built by {@linkcode strOpt}, {@linkcode intOpt}, {@linkcode floatOpt},
 * {@linkcode boolOpt}, {@linkcode listOpt}, {@linkcode multiStrOpt} or {@linkcode portOpt} and
 * registered on a `Config`. Opts are frozen plain objects: two opts built with the same
 * arguments are equal, which is what makes registration idempotent.
 *
 * @typeParam T The type `Config.get()` returns for this option (when set).
 *
 * @example
 * ```ts
 * import { intOpt, type Opt } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * const workers: Opt<number> = intOpt("workers", { default: 1, min: 1 });
 * assert.equal(workers.type, "integer");
 * assert.equal(workers.default, 1);
 * ```
 */
export interface Opt<T = unknown> {
  /** The option name as registered (and as written in files, with `-` read as `_`). */
  readonly name: string;
  /** The value type. */
  readonly type: OptType;
  /** The default value, or `undefined` (multi-string options then read as `[]`). */
  readonly default: T | undefined;
  /** Help text (shown by `generateSample`). */
  readonly help: string;
  /** Allowed values (for list and multi-string options: allowed items), or `undefined`. */
  readonly choices: readonly (string | number)[] | undefined;
  /** Smallest allowed value (integer, float and port options), or `undefined`. */
  readonly min: number | undefined;
  /** Largest allowed value (integer, float and port options), or `undefined`. */
  readonly max: number | undefined;
  /** Whether loading fails with `RequiredOptError` when the option has no value. */
  readonly required: boolean;
  /** Whether the value is shown as `***` in errors, logs and samples. */
  readonly secret: boolean;
  /** Whether `Config.mutate()` applies new values of this option. */
  readonly mutable: boolean;
  /** An older name still read from files (in the same group), or `undefined`. */
  readonly deprecatedName: string | undefined;
}

/**
 * Settings shared by every option factory.
 *
 * @example
 * ```ts
 * import { Config, type OptOptions, strOpt } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * const options: OptOptions<string> = { default: "s3cr3t", secret: true, help: "API token" };
 * const token = strOpt("token", options);
 * assert.equal(token.secret, true);
 * const conf = new Config();
 * conf.registerOpt(token);
 * assert.equal(conf.get("token"), "s3cr3t");
 * ```
 */
export interface OptOptions<T> {
  /**
   * The value used when no file or override sets one. String defaults may use `$name`
   * substitution.
   * @default {undefined}
   */
  default?: T;
  /** Help text, written as a comment by `generateSample`. @default {""} */
  help?: string;
  /** Fail loading with `RequiredOptError` when the option ends up without a value. @default {false} */
  required?: boolean;
  /** Show the value as `***` in errors, logs and samples. @default {false} */
  secret?: boolean;
  /** Let `Config.mutate()` apply new values from files. @default {false} */
  mutable?: boolean;
  /** An older name still accepted in files (same group). @default {undefined} */
  deprecatedName?: string;
}

/**
 * Settings of {@linkcode strOpt}.
 *
 * @example
 * ```ts
 * import { Config, ConfigValueError, strOpt, type StrOptOptions } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * const options: StrOptOptions = { default: "info", choices: ["debug", "info", "error"] };
 * const conf = new Config();
 * conf.registerOpt(strOpt("level", options));
 * assert.equal(conf.get("level"), "info");
 * assert.throws(() => conf.setOverride("level", "trace"), ConfigValueError);
 * ```
 */
export interface StrOptOptions extends OptOptions<string> {
  /** Allowed values. @default {undefined} */
  choices?: readonly string[];
}

/**
 * Settings of {@linkcode intOpt}, {@linkcode floatOpt} and {@linkcode portOpt}.
 *
 * @example
 * ```ts
 * import { Config, ConfigValueError, intOpt, type NumberOptOptions } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * const options: NumberOptOptions = { default: 4, min: 1, max: 64 };
 * const conf = new Config();
 * conf.registerOpt(intOpt("workers", options));
 * conf.setOverride("workers", "8"); // text is converted
 * assert.equal(conf.get("workers"), 8);
 * assert.throws(() => conf.setOverride("workers", 0), ConfigValueError);
 * ```
 */
export interface NumberOptOptions extends OptOptions<number> {
  /** Allowed values. @default {undefined} */
  choices?: readonly number[];
  /** Smallest allowed value (inclusive). @default {undefined} */
  min?: number;
  /** Largest allowed value (inclusive). @default {undefined} */
  max?: number;
}

/**
 * Settings of {@linkcode boolOpt}.
 *
 * @example
 * ```ts
 * import { boolOpt, type BoolOptOptions, Config } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * const options: BoolOptOptions = { default: false, mutable: true };
 * const conf = new Config();
 * conf.registerOpt(boolOpt("debug", options));
 * conf.setOverride("debug", "true");
 * assert.equal(conf.get("debug"), true);
 * ```
 */
export type BoolOptOptions = OptOptions<boolean>;

/**
 * Settings of {@linkcode listOpt} and {@linkcode multiStrOpt}.
 *
 * @example
 * ```ts
 * import { Config, listOpt, type ListOptOptions } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * const options: ListOptOptions = { default: ["http"], choices: ["http", "https"] };
 * const conf = new Config();
 * conf.registerOpt(listOpt("schemes", options));
 * conf.setOverride("schemes", "http, https");
 * assert.deepEqual(conf.get("schemes"), ["http", "https"]);
 * ```
 */
export interface ListOptOptions extends OptOptions<readonly string[]> {
  /** Allowed items. @default {undefined} */
  choices?: readonly string[];
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function checkName(kind: string, name: unknown, field = "name"): asserts name is string {
  if (typeof name !== "string" || !NAME_RE.test(name)) {
    throw new TypeError(
      `Cannot create ${kind} as '${field}' must be a letter or '_' followed by letters, digits, '_', '-' or '.': current value is ${
        describeValue(name)
      }`,
    );
  }
}

// strOpt("s", 5) was taken as no options at all; null failed inside, naming nothing.
function checkOptions(kind: string, options: unknown): void {
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `Cannot create ${kind} as 'options' must be an object: current value is ${
        describeValue(options)
      }`,
    );
  }
}

function checkString(kind: string, field: string, value: unknown): void {
  if (value !== undefined && typeof value !== "string") {
    throw new TypeError(
      `Cannot create ${kind} as '${field}' must be a string: current value is ${
        describeValue(value)
      }`,
    );
  }
}

function checkBool(kind: string, field: string, value: unknown): void {
  if (value !== undefined && typeof value !== "boolean") {
    throw new TypeError(
      `Cannot create ${kind} as '${field}' must be a boolean: current value is ${
        describeValue(value)
      }`,
    );
  }
}

// Not a number ("5") is a TypeError; NaN, Infinity or 1.5 for an integer a RangeError.
function checkNumber(kind: string, field: string, value: unknown, integer: boolean): void {
  if (value === undefined) return;
  if (
    typeof value === "number" && Number.isFinite(value) && (!integer || Number.isInteger(value))
  ) {
    return;
  }
  throw new (typeof value === "number" ? RangeError : TypeError)(
    `Cannot create ${kind} as '${field}' must be a finite ${
      integer ? "integer" : "number"
    }: current value is ${describeValue(value)}`,
  );
}

function checkStringArray(kind: string, field: string, value: unknown): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) {
    throw new TypeError(
      `Cannot create ${kind} as '${field}' must be an array of strings: current value is ${
        describeValue(value)
      }`,
    );
  }
  // The item is what is wrong, so the message names it: 'choices[1]' ... number 5.
  const i = value.findIndex((v) => typeof v !== "string");
  if (i >= 0) checkString(kind, `${field}[${i}]`, value[i]);
}

interface Common {
  help: string;
  required: boolean;
  secret: boolean;
  mutable: boolean;
  deprecatedName: string | undefined;
}

function common(kind: string, o: OptOptions<unknown>): Common {
  checkString(kind, "help", o.help);
  checkBool(kind, "required", o.required);
  checkBool(kind, "secret", o.secret);
  checkBool(kind, "mutable", o.mutable);
  if (o.deprecatedName !== undefined) checkName(kind, o.deprecatedName, "deprecatedName");
  return {
    help: o.help ?? "",
    required: o.required ?? false,
    secret: o.secret ?? false,
    mutable: o.mutable ?? false,
    deprecatedName: o.deprecatedName,
  };
}

function build<T>(
  name: string,
  type: OptType,
  def: T | undefined,
  c: Common,
  choices: readonly (string | number)[] | undefined,
  min: number | undefined,
  max: number | undefined,
): Opt<T> {
  return Object.freeze({
    name,
    type,
    default: Array.isArray(def) ? Object.freeze([...def]) as T : def,
    help: c.help,
    choices: choices === undefined ? undefined : Object.freeze([...choices]),
    min,
    max,
    required: c.required,
    secret: c.secret,
    mutable: c.mutable,
    deprecatedName: c.deprecatedName,
  });
}

function numeric(
  kind: string,
  type: OptType,
  name: string,
  o: NumberOptOptions,
  lo?: number,
  hi?: number,
): Opt<number> {
  checkName(kind, name);
  checkOptions(kind, o);
  const integer = type !== "float";
  checkNumber(kind, "default", o.default, integer);
  checkNumber(kind, "min", o.min, integer);
  checkNumber(kind, "max", o.max, integer);
  if (o.choices !== undefined) {
    if (!Array.isArray(o.choices)) {
      throw new TypeError(
        `Cannot create ${kind} as 'choices' must be an array: current value is ${
          describeValue(o.choices)
        }`,
      );
    }
    for (const c of o.choices) checkNumber(kind, "choices[]", c, integer);
  }
  const min = o.min ?? lo;
  const max = o.max ?? hi;
  if (lo !== undefined && min !== undefined && min < lo) {
    throw new RangeError(
      `Cannot create ${kind} as 'min' must be >= ${lo}: current value is ${describeValue(min)}`,
    );
  }
  if (hi !== undefined && max !== undefined && max > hi) {
    throw new RangeError(
      `Cannot create ${kind} as 'max' must be <= ${hi}: current value is ${describeValue(max)}`,
    );
  }
  if (min !== undefined && max !== undefined && min > max) {
    throw new RangeError(
      `Cannot create ${kind} as 'min' must be <= 'max' (${max}): current value is ${
        describeValue(min)
      }`,
    );
  }
  const c = common(kind, o);
  if (o.default !== undefined) {
    if (min !== undefined && o.default < min) {
      throw new RangeError(
        `Cannot create ${kind} as 'default' must be >= ${min}: current value is ${
          describeValue(o.default)
        }`,
      );
    }
    if (max !== undefined && o.default > max) {
      throw new RangeError(
        `Cannot create ${kind} as 'default' must be <= ${max}: current value is ${
          describeValue(o.default)
        }`,
      );
    }
    if (o.choices !== undefined && !o.choices.includes(o.default)) {
      throw new RangeError(
        `Cannot create ${kind} as 'default' must be one of ${
          clip(JSON.stringify(o.choices))
        }: current value is ${describeValue(o.default)}`,
      );
    }
  }
  // Ports always carry their 0..65535 bounds, so samples and errors show them.
  return build(name, type, o.default, c, o.choices, min, max);
}

function rejectRange(kind: string, o: object): void {
  for (const field of ["min", "max"]) {
    if ((o as Record<string, unknown>)[field] !== undefined) {
      throw new TypeError(
        `Cannot create ${kind} as '${field}' is not supported by this option type`,
      );
    }
  }
}

/**
 * Creates a string option (oslo.config `StrOpt`).
 *
 * @param name The option name.
 * @param options Default, help, choices and flags.
 * @returns The option schema.
 * @throws {TypeError} When `name` or a setting has the wrong type.
 * @throws {RangeError} When `default` is not one of `choices`.
 *
 * @example
 * ```ts
 * import { Config, strOpt } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * const conf = new Config();
 * conf.registerOpt(strOpt("mode", { default: "fast", choices: ["fast", "safe"] }));
 * assert.equal(conf.get<string>("mode"), "fast");
 * ```
 */
export function strOpt(name: string, options: StrOptOptions = {}): Opt<string> {
  const kind = "string option";
  checkName(kind, name);
  checkOptions(kind, options);
  rejectRange(kind, options);
  checkString(kind, "default", options.default);
  checkStringArray(kind, "choices", options.choices);
  if (
    options.default !== undefined && options.choices !== undefined &&
    !options.choices.includes(options.default)
  ) {
    throw new RangeError(
      `Cannot create ${kind} as 'default' must be one of ${
        clip(JSON.stringify(options.choices))
      }: current value is ${describeValue(options.default)}`,
    );
  }
  return build(
    name,
    "string",
    options.default,
    common(kind, options),
    options.choices,
    undefined,
    undefined,
  );
}

/**
 * Creates an integer option (oslo.config `IntOpt`). Files hold decimal integers
 * (`+`/`-` allowed); an empty value means "unset".
 *
 * @param name The option name.
 * @param options Default, help, `min`/`max` (inclusive), choices and flags.
 * @returns The option schema.
 * @throws {TypeError} When `name` or a setting has the wrong type (numbers must be integers).
 * @throws {RangeError} When `min > max`, or `default` is outside them or not one of `choices`.
 *
 * @example
 * ```ts
 * import { Config, intOpt } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * const conf = new Config();
 * conf.registerOpt(intOpt("workers", { default: 4, min: 1 }));
 * assert.equal(conf.get<number>("workers"), 4);
 * ```
 */
export function intOpt(name: string, options: NumberOptOptions = {}): Opt<number> {
  return numeric("integer option", "integer", name, options);
}

/**
 * Creates a floating-point option (oslo.config `FloatOpt`).
 *
 * @param name The option name.
 * @param options Default, help, `min`/`max` (inclusive), choices and flags.
 * @returns The option schema.
 * @throws {TypeError} When `name` or a setting has the wrong type (numbers must be finite).
 * @throws {RangeError} When `min > max`, or `default` is outside them or not one of `choices`.
 *
 * @example
 * ```ts
 * import { Config, floatOpt } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * const conf = new Config();
 * conf.registerOpt(floatOpt("ratio", { default: 1.5, min: 0 }));
 * assert.equal(conf.get<number>("ratio"), 1.5);
 * ```
 */
export function floatOpt(name: string, options: NumberOptOptions = {}): Opt<number> {
  return numeric("float option", "float", name, options);
}

/**
 * Creates a TCP/UDP port option (oslo.config `PortOpt`): an integer in 0..65535, optionally
 * narrowed by `min`/`max`.
 *
 * @param name The option name.
 * @param options Default, help, `min`/`max` (within 0..65535), choices and flags.
 * @returns The option schema.
 * @throws {TypeError} When `name` or a setting has the wrong type.
 * @throws {RangeError} When the bounds leave 0..65535 or `default` is outside them.
 *
 * @example
 * ```ts
 * import { Config, portOpt } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * const conf = new Config();
 * conf.registerOpt(portOpt("bind_port", { default: 8080 }));
 * assert.equal(conf.get<number>("bind_port"), 8080);
 * ```
 */
export function portOpt(name: string, options: NumberOptOptions = {}): Opt<number> {
  return numeric("port option", "port", name, options, 0, 65535);
}

/**
 * Creates a boolean option (oslo.config `BoolOpt`). Files accept `true`/`false`, `yes`/`no`,
 * `on`/`off`, `1`/`0`, in any case.
 *
 * @param name The option name.
 * @param options Default, help and flags.
 * @returns The option schema.
 * @throws {TypeError} When `name` or a setting has the wrong type.
 *
 * @example
 * ```ts
 * import { boolOpt, Config } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * const conf = new Config();
 * conf.registerOpt(boolOpt("debug", { default: false }));
 * assert.equal(conf.get<boolean>("debug"), false);
 * ```
 */
export function boolOpt(name: string, options: BoolOptOptions = {}): Opt<boolean> {
  const kind = "boolean option";
  checkName(kind, name);
  checkOptions(kind, options);
  rejectRange(kind, options);
  if ((options as { choices?: unknown }).choices !== undefined) {
    throw new TypeError(`Cannot create ${kind} as 'choices' is not supported by this option type`);
  }
  checkBool(kind, "default", options.default);
  return build(
    name,
    "boolean",
    options.default,
    common(kind, options),
    undefined,
    undefined,
    undefined,
  );
}

function listLike(
  kind: string,
  type: OptType,
  name: string,
  options: ListOptOptions,
): Opt<string[]> {
  checkName(kind, name);
  checkOptions(kind, options);
  rejectRange(kind, options);
  checkStringArray(kind, "default", options.default);
  checkStringArray(kind, "choices", options.choices);
  if (options.default !== undefined && options.choices !== undefined) {
    const bad = options.default.find((v) => !options.choices!.includes(v));
    if (bad !== undefined) {
      throw new RangeError(
        `Cannot create ${kind} as every 'default' item must be one of ${
          clip(JSON.stringify(options.choices))
        }: current value is ${describeValue(bad)}`,
      );
    }
  }
  return build<string[]>(
    name,
    type,
    options.default as string[] | undefined,
    common(kind, options),
    options.choices,
    undefined,
    undefined,
  );
}

/**
 * Creates a comma-separated list option (oslo.config `ListOpt`): `a, b ,c` reads as
 * `["a", "b", "c"]`, an empty value as `[]`.
 *
 * @param name The option name.
 * @param options Default, help, allowed items (`choices`) and flags.
 * @returns The option schema.
 * @throws {TypeError} When `name` or a setting has the wrong type.
 * @throws {RangeError} When a `default` item is not one of `choices`.
 *
 * @example
 * ```ts
 * import { Config, listOpt } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * const conf = new Config();
 * conf.registerOpt(listOpt("hosts", { default: ["a", "b"] }));
 * assert.deepEqual(conf.get<string[]>("hosts"), ["a", "b"]);
 * ```
 */
export function listOpt(name: string, options: ListOptOptions = {}): Opt<string[]> {
  return listLike("list option", "list", name, options);
}

/**
 * Creates a multi-valued string option (oslo.config `MultiStrOpt`): every occurrence of the
 * key, in every file, adds one item; unset reads as `[]`.
 *
 * @param name The option name.
 * @param options Default, help, allowed items (`choices`) and flags.
 * @returns The option schema.
 * @throws {TypeError} When `name` or a setting has the wrong type.
 * @throws {RangeError} When a `default` item is not one of `choices`.
 *
 * @example
 * ```ts
 * import { Config, multiStrOpt } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * const conf = new Config();
 * conf.registerOpt(multiStrOpt("filter"));
 * assert.deepEqual(conf.get<string[]>("filter"), []);
 * ```
 */
export function multiStrOpt(name: string, options: ListOptOptions = {}): Opt<string[]> {
  return listLike("multi-string option", "multistring", name, options);
}
