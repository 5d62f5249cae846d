/**
 * The `Config` object: registered options, their sources and typed reads.
 *
 * @module
 */

import { parseArgs } from "./_args.ts";
import { type ConfigLogger, consoleConfigLogger } from "./config_logger.ts";
import { convertValue, showValue } from "./_convert.ts";
import { showsSecret } from "./_display.ts";
import { rawAccess } from "./_raw_access.ts";
import { clip } from "./_clip.ts";
import { describeValue } from "./_describe.ts";
import { hasTemplate, substitute, SubstitutionTooLong } from "./_substitute.ts";
import {
  ConfigFileNotFoundError,
  ConfigFileReadError,
  ConfigSubstitutionError,
  DuplicateOptError,
  NoSuchOptError,
  RequiredOptError,
} from "./errors.ts";
import { type IniDocument, parseIni } from "./ini_parser.ts";
import type { Opt } from "./opts.ts";

/** The group of options registered without one. */
const DEFAULT_GROUP = "DEFAULT";

/**
 * What {@linkcode Config.reload} or {@linkcode Config.mutate} changed.
 *
 * @example
 * ```ts
 * import type { ChangedOptions } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * const none: ChangedOptions = { changed: [], ignored: [] };
 * assert.equal(none.changed.length, 0);
 * ```
 */
export interface ChangedOptions {
  /**
   * Options whose value changed (secret values, and values into which a secret was substituted,
   * are reported as `***`).
   */
  changed: { group: string; name: string; old: unknown; new: unknown }[];
  /** Non-mutable options whose new value `mutate()` did not apply (always empty for `reload()`). */
  ignored: { group: string; name: string }[];
}

/**
 * Where {@linkcode Config.load} reads from.
 *
 * @example
 * ```ts
 * import { Config, type ConfigLoadOptions, intOpt } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.conf`, "[DEFAULT]\nworkers = 2\n");
 * await Deno.writeTextFile(`${dir}/b.conf`, "[DEFAULT]\nworkers = 3\n");
 * const options: ConfigLoadOptions = {
 *   args: ["--verbose", `--config-file=${dir}/a.conf`],
 *   files: [`${dir}/b.conf`],
 * };
 * const conf = new Config();
 * conf.registerOpt(intOpt("workers"));
 * await conf.load(options);
 * assert.equal(conf.get("workers"), 2); // files from args are read after `files`
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface ConfigLoadOptions {
  /**
   * Command-line arguments, e.g. `Deno.args`; `--config-file X`, `--config-file=X`,
   * `--config-dir X` and `--config-dir=X` are used (repeatable), everything else is ignored (it
   * belongs to the application; so does everything after `--`). As in oslo.config they apply in
   * command-line order, later wins: a directory's `*.conf` files (sorted) take the directory's
   * place in that order. They are read after `dirs` and `files`.
   * @default {[]}
   */
  args?: readonly string[];
  /** Config files, read in order (later wins) after the `dirs` files. @default {[]} */
  files?: readonly string[];
  /** Directories whose `*.conf` files are read first, each in sorted order. @default {[]} */
  dirs?: readonly string[];
}

/**
 * Settings of a new {@linkcode Config}.
 *
 * @example
 * ```ts
 * import { Config, type ConfigOptions } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * const seen: string[] = [];
 * const options: ConfigOptions = {
 *   logger: { debug() {}, info() {}, warning: (m) => seen.push(m) },
 * };
 * assert.equal(new Config(options).logger, options.logger);
 * ```
 */
export interface ConfigOptions {
  /**
   * Where the Config reports deprecated option names, `mutate()` changes and `logOptions()`
   * dumps. @default {consoleConfigLogger}
   */
  logger?: ConfigLogger;
}

/**
 * The sources a {@linkcode Config} was loaded from, exactly as given to
 * {@linkcode Config.load}. Passing them to `load()` of a fresh `Config` (for example in a worker)
 * reads the same files.
 *
 * @example
 * ```ts
 * import { Config, type ConfigSources } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * const conf = new Config();
 * await conf.load({ args: ["--debug"] });
 * const sources: ConfigSources = conf.sources;
 * assert.deepEqual(sources, { args: ["--debug"], files: [], dirs: [] });
 * ```
 */
export interface ConfigSources {
  /** The `args` given to `load()`. */
  readonly args: readonly string[];
  /** The `files` given to `load()`. */
  readonly files: readonly string[];
  /** The `dirs` given to `load()`. */
  readonly dirs: readonly string[];
}

/**
 * One registered option of a {@linkcode Config}, as listed by {@linkcode Config.listOpts}.
 *
 * @example
 * ```ts
 * import { Config, type RegisteredOpt, strOpt } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * const conf = new Config();
 * conf.registerOpt(strOpt("url", { secret: true }), "database");
 * const [entry]: RegisteredOpt[] = conf.listOpts();
 * assert.equal(entry?.group, "database");
 * assert.equal(entry?.opt.secret, true);
 * ```
 */
export interface RegisteredOpt {
  /** The group (`"DEFAULT"` for ungrouped options), as first registered. */
  readonly group: string;
  /** The option schema. */
  readonly opt: Opt;
}

interface Slot {
  set: boolean;
  value: unknown;
}

interface Entry {
  readonly opt: Opt;
  readonly group: string;
  readonly key: string;
  readonly deprecatedKey: string | undefined;
  def: Slot;
  override: Slot;
  // Set by mutate() for a non-mutable option: the file layer it keeps using.
  pinned: Files | undefined;
}

/** Parsed files, oldest first: normalized group → key → values in file order. */
type Files = readonly ReadonlyMap<string, ReadonlyMap<string, string[]>>[];

interface Loaded {
  sources: ConfigSources;
  configFiles: readonly string[];
  files: Files;
}

interface Resolution {
  files: Files;
  cache: Map<Entry, unknown>;
  /**
   * Beside `cache`: each resolved entry's height, the length of the longest `$ref` chain from
   * it (1 without references). A chain reaching a cached value is measured whole with it: the
   * depth limit must not depend on which options were resolved first.
   */
  heights: Map<Entry, number>;
  stack: Entry[];
  /** Beside `stack`: the greatest height among the references of each entry on it so far. */
  below: number[];
  deprecated: Set<string>;
}

const RECURSION = "recursive substitution: ";
// Chains of `$name` references deeper than this are reported instead of risking the JS stack.
const MAX_DEPTH = 32;
// A value with substitutions may grow to this many UTF-16 code units (1 MiB of them); beyond,
// `$a$a$a…` chains would double memory at every level (issue: 816 MiB, then V8's RangeError).
const MAX_LENGTH = 1024 * 1024;

function groupKey(group: string): string {
  return group === DEFAULT_GROUP ? group : group.toLowerCase();
}

function optKey(name: string): string {
  return name.replaceAll("-", "_");
}

function checkGroup(method: string, group: unknown): string {
  if (group === undefined) return DEFAULT_GROUP;
  if (typeof group !== "string" || group === "" || /[\]\r\n]/.test(group)) {
    throw new TypeError(
      `Cannot ${method} as 'group' must be a non-empty string without ']' or line breaks: current value is ${
        describeValue(group)
      }`,
    );
  }
  return group;
}

function checkOptName(method: string, name: unknown): string {
  if (typeof name !== "string" || name === "") {
    throw new TypeError(
      `Cannot ${method} as 'name' must be a non-empty string: current value is ${
        describeValue(name)
      }`,
    );
  }
  return name;
}

function checkLogger(method: string, logger: unknown): ConfigLogger {
  for (const level of ["debug", "info", "warning"] as const) {
    const fn = typeof logger === "object" && logger !== null
      ? (logger as Record<string, unknown>)[level]
      : undefined;
    if (typeof fn !== "function") {
      throw new TypeError(
        `Cannot ${method} as 'logger.${level}' must be a function: current value is ${
          describeValue(fn)
        }`,
      );
    }
  }
  return logger as ConfigLogger;
}

function isOpt(value: unknown): value is Opt {
  return typeof value === "object" && value !== null && typeof (value as Opt).name === "string" &&
    typeof (value as Opt).type === "string";
}

// Not node:path's join: loading node: modules costs every worker ~7 ms of its start.
function join(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}

function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
  }
  return false;
}

const OPT_FIELDS = [
  "type",
  "default",
  "help",
  "choices",
  "min",
  "max",
  "required",
  "secret",
  "mutable",
  "deprecatedName",
] as const;

function optDifference(a: Opt, b: Opt): string | undefined {
  const diff = OPT_FIELDS.filter((f) => !same(a[f], b[f]));
  return diff.length === 0 ? undefined : `differs in ${diff.join(", ")}`;
}

function freeze(value: unknown): unknown {
  return Array.isArray(value) ? Object.freeze(value) : value;
}

/** Whether a required option lacks a value: a multi-string option reads `[]` when it has none. */
function isUnset(opt: Opt, value: unknown): boolean {
  return value === undefined || (opt.type === "multistring" && (value as unknown[]).length === 0);
}

function asText(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (Array.isArray(value)) return value.join(",");
  return String(value);
}

async function listConfDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const item of Deno.readDir(dir)) {
      // Python's glob("*.conf"), which oslo.config uses, skips hidden files (`.#app.conf`).
      if (!item.name.endsWith(".conf") || item.name.startsWith(".")) continue;
      if (item.isFile) {
        names.push(item.name);
      } else if (item.isSymlink) {
        // A link to a directory is skipped; a dangling one is read, and fails there (as a
        // --config-file to it does, and oslo does): skipped, the config would be half read.
        const info = await Deno.stat(join(dir, item.name)).catch(() => undefined);
        if (info === undefined || info.isFile) names.push(item.name);
      }
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new ConfigFileNotFoundError(dir, { cause: error });
    }
    throw new ConfigFileReadError(dir, { cause: error });
  }
  // Code-unit order, like Python's sorted(): independent of locale.
  return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((name) => join(dir, name));
}

async function readConfigFile(file: string): Promise<IniDocument> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new ConfigFileNotFoundError(file, { cause: error });
    }
    throw new ConfigFileReadError(file, { cause: error });
  }
  return parseIni(text, file);
}

function normalize(doc: IniDocument): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  for (const [section, keys] of doc) {
    const g = groupKey(section);
    let target = out.get(g);
    if (target === undefined) out.set(g, target = new Map());
    for (const [key, entries] of keys) {
      let values = target.get(key);
      if (values === undefined) target.set(key, values = []);
      for (const e of entries) values.push(e.value);
    }
  }
  return out;
}

async function readSources(sources: ConfigSources): Promise<Loaded> {
  const configFiles: string[] = [];
  for (const dir of sources.dirs) configFiles.push(...await listConfDir(dir));
  configFiles.push(...sources.files);
  // oslo.config: `--config-file` and `--config-dir` apply in command-line order, later wins.
  for (const { kind, path } of parseArgs(sources.args)) {
    if (kind === "dir") configFiles.push(...await listConfDir(path));
    else configFiles.push(path);
  }
  const docs = await Promise.all(configFiles.map(readConfigFile));
  return { sources, configFiles: Object.freeze(configFiles), files: docs.map(normalize) };
}

function checkSources(o: ConfigLoadOptions | undefined): ConfigSources {
  if (o !== undefined && (typeof o !== "object" || o === null)) {
    throw new TypeError(
      `Cannot load config as 'options' must be an object: current value is ${describeValue(o)}`,
    );
  }
  const list = (field: "args" | "files" | "dirs"): readonly string[] => {
    const value = o?.[field];
    if (value === undefined) return Object.freeze([]);
    if (!Array.isArray(value)) {
      throw new TypeError(
        `Cannot load config as '${field}' must be an array of strings: current value is ${
          describeValue(value)
        }`,
      );
    }
    // The item is what is wrong, so the message names it: 'args[1]' ... number 5. An empty
    // path is refused at the call, as `--config-file=` is (it failed later as "not found: ").
    const i = value.findIndex((v) => typeof v !== "string" || (field !== "args" && v === ""));
    if (i >= 0) {
      throw new TypeError(
        `Cannot load config as '${field}[${i}]' must be a ${
          field === "args" ? "string" : "non-empty path"
        }: current value is ${describeValue(value[i])}`,
      );
    }
    return Object.freeze([...value]);
  };
  const sources = Object.freeze({ args: list("args"), files: list("files"), dirs: list("dirs") });
  parseArgs(sources.args); // bad flags fail at the call
  return sources;
}

/**
 * A set of registered options and the values they take from defaults, config files and
 * overrides (oslo.config's `ConfigOpts`).
 *
 * Precedence, later wins: the option's default < {@linkcode Config.setDefault} < the files of
 * `dirs` (`*.conf`, sorted) < `files` in order < the `--config-file` / `--config-dir` arguments
 * in command-line order (oslo.config) < {@linkcode Config.setOverride}.
 * Options registered without a group live in `[DEFAULT]`; there is no inheritance between
 * sections. Section names other than `DEFAULT` match group names case-insensitively; option
 * names are written in files with `_` where the name has `-`. Unknown sections and keys in files
 * are ignored.
 *
 * `$name` / `${group.name}` substitution is capped: a chain of references may be at most 32
 * deep, and a value after substitution at most 1 048 576 characters (1 Mi UTF-16 code units);
 * beyond either, the option fails with a `ConfigSubstitutionError` (a `ConfigValueError`) instead
 * of growing without bound. Error messages quote at most 200 characters of any key or value (the
 * error's fields keep them whole).
 *
 * @example Loading a file
 * ```ts
 * import { Config, intOpt, strOpt } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const file = `${dir}/app.conf`;
 * await Deno.writeTextFile(file, "[DEFAULT]\nworkers = 8\n[db]\nurl = sqlite://$workers\n");
 *
 * const conf = new Config();
 * conf.registerOpt(intOpt("workers", { default: 1, min: 1 }));
 * conf.registerOpt(strOpt("url"), "db");
 * await conf.load({ args: ["--config-file", file] });
 * assert.equal(conf.get<number>("workers"), 8);
 * assert.equal(conf.get<string>("url", "db"), "sqlite://8");
 * assert.deepEqual(conf.configFiles, [file]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class Config {
  #groups = new Map<string, Map<string, Entry>>();
  #order: Entry[] = [];
  #loaded: Loaded = {
    sources: Object.freeze({
      args: Object.freeze([]),
      files: Object.freeze([]),
      dirs: Object.freeze([]),
    }),
    configFiles: Object.freeze([]),
    files: [],
  };
  #cache = new Map<Entry, unknown>();
  #warned = new Set<string>();
  #queue: Promise<unknown> = Promise.resolve();
  // Options whose value has substituted a secret option's value (directly or through others):
  // shown as `***` like secrets. Only grows, so a value that once held a secret stays hidden.
  #secretDerived = new Set<Entry>();

  #logger: ConfigLogger;

  /**
   * Creates an empty configuration: no options, no files.
   *
   * @param options Where its messages go.
   * @throws {TypeError} When `options.logger` lacks `debug`, `info` or `warning`.
   *
   * @example
   * ```ts
   * import { Config } from "@fjord/fjord/config";
   * import assert from "node:assert/strict";
   *
   * const warnings: string[] = [];
   * const conf = new Config({
   *   logger: { debug() {}, info() {}, warning: (m) => warnings.push(m) },
   * });
   * assert.deepEqual(conf.configFiles, []);
   * ```
   */
  constructor(options: ConfigOptions = {}) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(
        `Cannot create Config as 'options' must be an object: current value is ${
          describeValue(options)
        }`,
      );
    }
    this.#logger = options.logger === undefined
      ? consoleConfigLogger
      : checkLogger("create Config", options.logger);
    showsSecret.set(this, (name, group) => this.#hides(this.#entry("show option", name, group)));
    rawAccess.set(this, {
      read: (name, group) => {
        const entry = this.#entry("read option", name, group);
        return this.#raw(entry, this.#resolution(this.#loaded.files, new Map())).raw;
      },
      force: (name, group, raw) => {
        const entry = this.#entry("set override", name, group);
        entry.override = { set: raw !== undefined, value: freeze(raw) };
        entry.pinned = undefined;
        this.#cache.clear();
      },
    });
  }

  /**
   * Where this Config reports deprecated names, `mutate()` changes and (by default)
   * `logOptions()` dumps: the `logger` given to the constructor or set here, else
   * {@linkcode consoleConfigLogger}.
   *
   * @example
   * ```ts
   * import { Config } from "@fjord/fjord/config";
   * import assert from "node:assert/strict";
   *
   * const conf = new Config();
   * const lines: string[] = [];
   * conf.logger = { debug: (m) => lines.push(m), info: (m) => lines.push(m), warning: (m) => lines.push(m) };
   * assert.equal(typeof conf.logger.warning, "function");
   * ```
   */
  get logger(): ConfigLogger {
    return this.#logger;
  }

  /** @throws {TypeError} When `logger` lacks `debug`, `info` or `warning`. */
  set logger(logger: ConfigLogger) {
    this.#logger = checkLogger("set logger", logger);
  }

  /** Whether `entry`'s value is shown as `***` (a secret, or a value with a secret substituted). */
  #hides(entry: Entry): boolean {
    return entry.opt.secret || this.#secretDerived.has(entry);
  }

  /** `entry.opt`, marked secret when its value holds a substituted secret (for errors). */
  #shownOpt(entry: Entry): Opt {
    return this.#secretDerived.has(entry) ? { ...entry.opt, secret: true } : entry.opt;
  }

  /**
   * The files read by the last successful {@linkcode Config.load} / {@linkcode Config.reload},
   * in reading order (later wins): the `dirs` files, `files`, then the files named by `args` in
   * command-line order (a `--config-dir` stands for its `*.conf` files, sorted).
   *
   * @example
   * ```ts
   * import { Config } from "@fjord/fjord/config";
   * import assert from "node:assert/strict";
   *
   * const conf = new Config();
   * await conf.load();
   * assert.deepEqual(conf.configFiles, []);
   * ```
   */
  get configFiles(): readonly string[] {
    return this.#loaded.configFiles;
  }

  /**
   * The `args`, `files` and `dirs` given to the last successful {@linkcode Config.load}.
   * Another `Config` (say, in a worker) loads the same files with `other.load(conf.sources)`.
   *
   * @example
   * ```ts
   * import { Config } from "@fjord/fjord/config";
   * import assert from "node:assert/strict";
   *
   * const conf = new Config();
   * await conf.load({ args: ["--verbose"] });
   * const copy = new Config();
   * await copy.load(conf.sources);
   * assert.deepEqual(copy.sources, { args: ["--verbose"], files: [], dirs: [] });
   * ```
   */
  get sources(): ConfigSources {
    return this.#loaded.sources;
  }

  /**
   * Registers an option (oslo.config `register_opt`). Registering an identical option again
   * is a no-op, so every component can register what it reads.
   *
   * @param opt The option schema (from {@linkcode strOpt} and friends).
   * @param group The group (section); `"DEFAULT"` when omitted.
   * @throws {TypeError} When `opt` is not an option or `group` is not a valid section name.
   * @throws {DuplicateOptError} When a different option with the same name is registered in
   * the group.
   *
   * @example
   * ```ts
   * import { Config, boolOpt } from "@fjord/fjord/config";
   * import assert from "node:assert/strict";
   *
   * const conf = new Config();
   * conf.registerOpt(boolOpt("enabled", { default: true }), "feature");
   * assert.equal(conf.get<boolean>("enabled", "feature"), true);
   * ```
   */
  registerOpt(opt: Opt, group?: string): void {
    const g = checkGroup("register option", group);
    if (!isOpt(opt)) {
      throw new TypeError(
        `Cannot register option as 'opt' must be an Opt: current value is ${describeValue(opt)}`,
      );
    }
    const gk = groupKey(g);
    let slots = this.#groups.get(gk);
    const key = optKey(opt.name);
    const existing = slots?.get(key);
    if (existing !== undefined) {
      const difference = optDifference(existing.opt, opt);
      if (difference !== undefined || existing.opt.name !== opt.name) {
        throw new DuplicateOptError(
          opt.name,
          existing.group,
          difference ?? `registered as '${existing.opt.name}'`,
        );
      }
      return;
    }
    if (slots === undefined) this.#groups.set(gk, slots = new Map());
    const entry: Entry = {
      opt,
      group: slots.size === 0 ? g : slots.values().next().value!.group,
      key,
      deprecatedKey: opt.deprecatedName === undefined ? undefined : optKey(opt.deprecatedName),
      def: { set: false, value: undefined },
      override: { set: false, value: undefined },
      pinned: undefined,
    };
    slots.set(key, entry);
    this.#order.push(entry);
    // A new option can change what `$name` substitutions elsewhere resolve to.
    this.#cache.clear();
  }

  /**
   * Registers several options in one group; stops at the first conflict (options before it
   * stay registered, which is harmless as registration is idempotent).
   *
   * @param opts The option schemas.
   * @param group The group; `"DEFAULT"` when omitted.
   * @throws {TypeError} When `opts` is not an array or an item is not an option.
   * @throws {DuplicateOptError} When one conflicts with an already registered option.
   *
   * @example
   * ```ts
   * import { Config, intOpt, strOpt } from "@fjord/fjord/config";
   * import assert from "node:assert/strict";
   *
   * const conf = new Config();
   * conf.registerOpts([strOpt("host", { default: "localhost" }), intOpt("port", { default: 80 })], "api");
   * assert.equal(conf.get("port", "api"), 80);
   * ```
   */
  registerOpts(opts: readonly Opt[], group?: string): void {
    if (!Array.isArray(opts)) {
      throw new TypeError(
        `Cannot register options as 'opts' must be an array: current value is ${
          describeValue(opts)
        }`,
      );
    }
    for (const opt of opts) this.registerOpt(opt, group);
  }

  /**
   * Every registered option with its group, `DEFAULT` first, then groups in registration
   * order; options in registration order.
   *
   * @returns The registered options.
   *
   * @example
   * ```ts
   * import { Config, strOpt } from "@fjord/fjord/config";
   * import assert from "node:assert/strict";
   *
   * const conf = new Config();
   * conf.registerOpt(strOpt("a"), "g");
   * conf.registerOpt(strOpt("b"));
   * assert.deepEqual(conf.listOpts().map((r) => `${r.group}.${r.opt.name}`), ["DEFAULT.b", "g.a"]);
   * ```
   */
  listOpts(): RegisteredOpt[] {
    const out: RegisteredOpt[] = [];
    const defaults = this.#groups.get(DEFAULT_GROUP);
    for (const e of defaults?.values() ?? []) out.push({ group: e.group, opt: e.opt });
    for (const [gk, slots] of this.#groups) {
      if (gk === DEFAULT_GROUP) continue;
      for (const e of slots.values()) out.push({ group: e.group, opt: e.opt });
    }
    return out;
  }

  /**
   * Replaces an option's default (oslo.config `set_default`); files and overrides still win.
   * `undefined` restores the default the option was created with.
   *
   * @param name The option name.
   * @param value The new default: a value of the option's type, or text to convert.
   * @param group The group; `"DEFAULT"` when omitted.
   * @throws {NoSuchOptError} When the option is not registered.
   * @throws {ConfigValueError} When `value` is invalid for the option (nothing changes).
   *
   * @example
   * ```ts
   * import { Config, intOpt } from "@fjord/fjord/config";
   * import assert from "node:assert/strict";
   *
   * const conf = new Config();
   * conf.registerOpt(intOpt("workers", { default: 1 }));
   * conf.setDefault("workers", 4);
   * assert.equal(conf.get("workers"), 4);
   * ```
   */
  setDefault(name: string, value: unknown, group?: string): void {
    this.#setSlot("set default", "def", name, value, group);
  }

  /**
   * Forces an option's value over every other source (oslo.config `set_override`);
   * `undefined` clears the override.
   *
   * @param name The option name.
   * @param value The value: of the option's type, or text to convert.
   * @param group The group; `"DEFAULT"` when omitted.
   * @throws {NoSuchOptError} When the option is not registered.
   * @throws {ConfigValueError} When `value` is invalid for the option (nothing changes).
   *
   * @example
   * ```ts
   * import { Config, strOpt } from "@fjord/fjord/config";
   * import assert from "node:assert/strict";
   *
   * const conf = new Config();
   * conf.registerOpt(strOpt("lock_path"), "oslo_concurrency");
   * conf.setOverride("lock_path", "/tmp/locks", "oslo_concurrency");
   * assert.equal(conf.get("lock_path", "oslo_concurrency"), "/tmp/locks");
   * ```
   */
  setOverride(name: string, value: unknown, group?: string): void {
    this.#setSlot("set override", "override", name, value, group);
  }

  #setSlot(
    method: string,
    slot: "def" | "override",
    name: string,
    value: unknown,
    group?: string,
  ): void {
    const entry = this.#entry(method, name, group);
    const previous = entry[slot];
    entry[slot] = {
      set: value !== undefined,
      value: value === undefined ? undefined : freeze(
        Array.isArray(value) ? [...value] : value,
      ),
    };
    if (value !== undefined) {
      // Validate the value itself, whichever source currently wins for this option.
      const r = this.#resolution(this.#loaded.files, new Map());
      r.stack.push(entry);
      try {
        const substituted = this.#substituteValue(entry, value, r);
        convertValue(this.#shownOpt(entry), entry.group, substituted);
      } catch (error) {
        entry[slot] = previous;
        throw error;
      }
    }
    this.#cache.clear();
  }

  /**
   * Reads an option's current value, converted to its type (oslo.config `conf.name` /
   * `conf.group.name`).
   *
   * @typeParam T The value type (`string`, `number`, `boolean` or `string[]`, or `undefined`
   * when the option may be unset).
   * @param name The option name.
   * @param group The group; `"DEFAULT"` when omitted.
   * @returns The value; `undefined` when unset (multi-string options: `[]`). Arrays are frozen.
   * @throws {NoSuchOptError} When the option is not registered.
   * @throws {RequiredOptError} When the option is required and unset.
   * @throws {ConfigValueError} When its value is invalid (possible for an option registered
   * after loading, which is validated when first read).
   *
   * @example
   * ```ts
   * import { Config, strOpt } from "@fjord/fjord/config";
   * import assert from "node:assert/strict";
   *
   * const conf = new Config();
   * conf.registerOpt(strOpt("lock_path"), "oslo_concurrency");
   * assert.equal(conf.get<string | undefined>("lock_path", "oslo_concurrency"), undefined);
   * ```
   */
  get<T = unknown>(name: string, group?: string): T {
    const entry = this.#entry("get option", name, group);
    if (this.#cache.has(entry)) return this.#cache.get(entry) as T;
    const resolution = this.#resolution(this.#loaded.files, new Map());
    const value = this.#resolve(entry, resolution);
    this.#warnDeprecated(resolution.deprecated);
    if (entry.opt.required && isUnset(entry.opt, value)) {
      throw new RequiredOptError(entry.opt.name, entry.group);
    }
    this.#cache.set(entry, value);
    return value as T;
  }

  /**
   * Reads the config files named by `args`, `files` and `dirs` (one `Deno.readTextFile` each)
   * and validates every registered option. On any error nothing changes: the previous files
   * and values stay in effect.
   *
   * @param options Where to read from.
   * @returns Resolves once the new values are in effect.
   * @throws {TypeError} At the call, when an argument is malformed (e.g. `--config-file`
   * without a path).
   * @throws {ConfigFileNotFoundError} (rejects) When a file or directory does not exist.
   * @throws {ConfigFileReadError} (rejects) When a file or directory cannot be read.
   * @throws {ConfigFileParseError} (rejects) When a file is not valid INI.
   * @throws {ConfigValueError} (rejects) When a value is invalid for its option.
   * @throws {RequiredOptError} (rejects) When a required option has no value.
   *
   * @example
   * ```ts
   * import { Config, portOpt } from "@fjord/fjord/config";
   * import assert from "node:assert/strict";
   *
   * const dir = await Deno.makeTempDir();
   * await Deno.writeTextFile(`${dir}/10-base.conf`, "[api]\nport = 8000\n");
   * await Deno.writeTextFile(`${dir}/20-site.conf`, "[api]\nport = 9000\n");
   * const conf = new Config();
   * conf.registerOpt(portOpt("port"), "api");
   * await conf.load({ dirs: [dir] });
   * assert.equal(conf.get("port", "api"), 9000);
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  load(options?: ConfigLoadOptions): Promise<void> {
    const sources = checkSources(options);
    return this.#serial(async () => {
      const loaded = await readSources(sources);
      this.#commit(loaded, this.#validate(loaded.files, new Set(this.#order)), true);
    });
  }

  /**
   * Re-reads every source of the last {@linkcode Config.load} (directories are listed again)
   * and applies all new values (oslo.config `reload_config_files`). A failed reload changes
   * nothing.
   *
   * @returns What changed (`ignored` is always empty).
   * @throws {ConfigFileNotFoundError} (rejects) When a file has disappeared.
   * @throws {ConfigFileReadError} (rejects) When a file or directory can no longer be read.
   * @throws {ConfigFileParseError} (rejects) When a file no longer parses.
   * @throws {ConfigValueError} (rejects) When a value is invalid.
   * @throws {RequiredOptError} (rejects) When a required option has no value.
   *
   * @example
   * ```ts
   * import { Config, intOpt } from "@fjord/fjord/config";
   * import assert from "node:assert/strict";
   *
   * const dir = await Deno.makeTempDir();
   * const file = `${dir}/app.conf`;
   * await Deno.writeTextFile(file, "[DEFAULT]\nworkers = 2\n");
   * const conf = new Config();
   * conf.registerOpt(intOpt("workers"));
   * await conf.load({ files: [file] });
   * await Deno.writeTextFile(file, "[DEFAULT]\nworkers = 3\n");
   * const result = await conf.reload();
   * assert.deepEqual(result.changed, [{ group: "DEFAULT", name: "workers", old: 2, new: 3 }]);
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  reload(): Promise<ChangedOptions> {
    return this.#serial(async () => {
      const loaded = await readSources(this.#loaded.sources);
      const before = this.#snapshot();
      const values = this.#validate(loaded.files, new Set(this.#order));
      this.#commit(loaded, values, true);
      return { changed: this.#diff(before, values), ignored: [] };
    });
  }

  /**
   * Re-reads every source and applies new values of `mutable` options only (oslo.config
   * `mutate_config_files`); other options keep their values until the next `load()` or
   * `reload()`. Logs each change (info) and each ignored change (warning). A failed mutate
   * changes nothing.
   *
   * @returns What changed, and which non-mutable options' new values were ignored.
   * @throws {ConfigFileNotFoundError} (rejects) When a file has disappeared.
   * @throws {ConfigFileReadError} (rejects) When a file or directory can no longer be read.
   * @throws {ConfigFileParseError} (rejects) When a file no longer parses.
   * @throws {ConfigValueError} (rejects) When a value is invalid.
   * @throws {RequiredOptError} (rejects) When a required option has no value.
   *
   * @example
   * ```ts
   * import { Config, intOpt } from "@fjord/fjord/config";
   * import assert from "node:assert/strict";
   *
   * const dir = await Deno.makeTempDir();
   * const file = `${dir}/app.conf`;
   * await Deno.writeTextFile(file, "[DEFAULT]\nworkers = 2\ntimeout = 5\n");
   * const conf = new Config();
   * conf.registerOpts([intOpt("workers"), intOpt("timeout", { mutable: true })]);
   * await conf.load({ files: [file] });
   * await Deno.writeTextFile(file, "[DEFAULT]\nworkers = 3\ntimeout = 9\n");
   * const result = await conf.mutate();
   * assert.deepEqual(result.ignored, [{ group: "DEFAULT", name: "workers" }]);
   * assert.equal(conf.get("workers"), 2);
   * assert.equal(conf.get("timeout"), 9);
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  mutate(): Promise<ChangedOptions> {
    return this.#serial(async () => {
      const loaded = await readSources(this.#loaded.sources);
      const before = this.#snapshot();
      // What every option would become with the new files, pins from earlier mutates dropped.
      const all = this.#validate(loaded.files, new Set(this.#order));
      const pinned = new Map<Entry, Files>();
      const ignored: { group: string; name: string }[] = [];
      for (const entry of this.#order) {
        const old = entry.pinned ?? this.#loaded.files;
        if (entry.opt.mutable) continue;
        if (before.has(entry) && !same(before.get(entry), all.get(entry))) {
          ignored.push({ group: entry.group, name: entry.opt.name });
          pinned.set(entry, old);
        }
      }
      const saved = this.#order.map((e) => e.pinned);
      this.#order.forEach((e) => (e.pinned = pinned.get(e)));
      let values: Map<Entry, unknown>;
      try {
        values = this.#validate(loaded.files, new Set());
      } catch (error) {
        this.#order.forEach((e, i) => (e.pinned = saved[i]));
        throw error;
      }
      this.#commit(loaded, values, false);
      const changed = this.#diff(before, values);
      const log = this.#logger;
      for (const c of changed) {
        log.info(
          `Option [${c.group}] ${c.name} changed from [${asText(c.old)}] to [${asText(c.new)}]`,
        );
      }
      for (const i of ignored) {
        log.warning(`Ignoring change to immutable option [${i.group}] ${i.name}`);
      }
      return { changed, ignored };
    });
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => {});
    return run;
  }

  #entry(method: string, name: string, group: string | undefined): Entry {
    checkOptName(method, name);
    const g = checkGroup(method, group);
    const entry = this.#groups.get(groupKey(g))?.get(optKey(name));
    if (entry === undefined) throw new NoSuchOptError(name, g);
    return entry;
  }

  #resolution(files: Files, cache: Map<Entry, unknown>): Resolution {
    return { files, cache, heights: new Map(), stack: [], below: [], deprecated: new Set() };
  }

  /**
   * Resolves every option against `files`, checking required ones. `ignorePins` lists entries
   * whose mutate() pin is ignored (resolved against `files` too).
   */
  #validate(files: Files, ignorePins: Set<Entry>): Map<Entry, unknown> {
    const cache = new Map<Entry, unknown>();
    const resolution = this.#resolution(files, cache);
    const saved = new Map<Entry, Files | undefined>();
    for (const e of ignorePins) {
      saved.set(e, e.pinned);
      e.pinned = undefined;
    }
    try {
      for (const entry of this.#order) {
        const value = this.#resolve(entry, resolution);
        if (entry.opt.required && isUnset(entry.opt, value)) {
          throw new RequiredOptError(entry.opt.name, entry.group);
        }
      }
    } finally {
      for (const [e, p] of saved) e.pinned = p;
    }
    this.#pendingDeprecated = resolution.deprecated;
    return cache;
  }

  #pendingDeprecated = new Set<string>();

  #commit(loaded: Loaded, values: Map<Entry, unknown>, unpin: boolean): void {
    if (unpin) { for (const e of this.#order) e.pinned = undefined; }
    this.#loaded = loaded;
    this.#cache = values;
    this.#warnDeprecated(this.#pendingDeprecated);
  }

  #warnDeprecated(messages: Set<string>): void {
    for (const m of messages) {
      if (this.#warned.has(m)) continue;
      this.#warned.add(m);
      this.#logger.warning(m);
    }
  }

  /** Current values of every option that resolves; options that fail are left out. */
  #snapshot(): Map<Entry, unknown> {
    const out = new Map<Entry, unknown>();
    const resolution = this.#resolution(this.#loaded.files, new Map(this.#cache));
    for (const entry of this.#order) {
      try {
        out.set(entry, this.#resolve(entry, resolution));
      } catch {
        // An option that cannot resolve now has no "old" value to compare.
      }
    }
    return out;
  }

  #diff(before: Map<Entry, unknown>, after: Map<Entry, unknown>): ChangedOptions["changed"] {
    const changed: ChangedOptions["changed"] = [];
    for (const entry of this.#order) {
      const old = before.get(entry);
      const now = after.get(entry);
      if (same(old, now)) continue;
      const secret = this.#hides(entry);
      changed.push({
        group: entry.group,
        name: entry.opt.name,
        old: secret ? "***" : old,
        new: secret ? "***" : now,
      });
    }
    return changed;
  }

  #fileValues(entry: Entry, files: Files, r: Resolution): string[] | undefined {
    const gk = groupKey(entry.group);
    const multi = entry.opt.type === "multistring";
    const collected: string[] = [];
    for (let i = files.length - 1; i >= 0; i--) {
      const section = files[i]!.get(gk);
      if (section === undefined) continue;
      let values = section.get(entry.key);
      if (values === undefined && entry.deprecatedKey !== undefined) {
        values = section.get(entry.deprecatedKey);
        if (values !== undefined) {
          r.deprecated.add(
            `Option "${entry.opt.deprecatedName}" from group "${entry.group}" is deprecated. Use option "${entry.opt.name}" from group "${entry.group}".`,
          );
        }
      }
      if (values === undefined) continue;
      if (!multi) return [values[values.length - 1]!];
      collected.unshift(...values);
    }
    return multi && collected.length > 0 ? collected : undefined;
  }

  #resolve(entry: Entry, r: Resolution): unknown {
    if (r.cache.has(entry)) {
      // A value cached without its height (this.#cache's) was validated whole when cached.
      const height = r.heights.get(entry) ?? 1;
      if (r.stack.length + height - 1 > MAX_DEPTH) throw this.#tooDeep(r.stack[0] ?? entry, r);
      this.#noteHeight(r, height);
      return r.cache.get(entry);
    }
    if (r.stack.includes(entry)) {
      const chain = clip(
        [...r.stack.slice(r.stack.indexOf(entry)), entry]
          .map((e) => `[${e.group}] ${e.opt.name}`).join(" -> "),
      );
      const start = r.stack[r.stack.length - 1]!;
      throw new ConfigSubstitutionError(
        start.opt.name,
        start.group,
        "",
        `${RECURSION}${chain}`,
      );
    }
    if (r.stack.length > MAX_DEPTH) throw this.#tooDeep(r.stack[0]!, r);
    r.stack.push(entry);
    r.below.push(0);
    let height = 1;
    try {
      const { raw, refs } = this.#raw(entry, r);
      const substituted = this.#substituteValue(entry, raw, refs);
      const value = freeze(convertValue(this.#shownOpt(entry), entry.group, substituted));
      r.cache.set(entry, value);
      height += r.below[r.below.length - 1]!;
      r.heights.set(entry, height);
      return value;
    } finally {
      r.stack.pop();
      r.below.pop();
      this.#noteHeight(r, height);
    }
  }

  // Tells the entry on top of the stack (resolving its references) one of them has `height`.
  #noteHeight(r: Resolution, height: number): void {
    const top = r.below.length - 1;
    if (top >= 0 && r.below[top]! < height) r.below[top] = height;
  }

  #tooDeep(start: Entry, r: Resolution): ConfigSubstitutionError {
    const raw = this.#raw(start, r).raw;
    return new ConfigSubstitutionError(
      start.opt.name,
      start.group,
      showValue(start.opt, Array.isArray(raw) ? raw.join(",") : String(raw ?? "")),
      `substitutions nested more than ${MAX_DEPTH} deep (the limit)`,
    );
  }

  /**
   * The unconverted value of the source that wins for `entry`, and the resolution its `$refs`
   * read: a pinned option keeps its whole value, so its references read the files it is pinned
   * to (`immutable = x$mutable` must not follow a mutate()d `mutable` either).
   */
  #raw(entry: Entry, r: Resolution): { raw: unknown; refs: Resolution } {
    if (entry.override.set) return { raw: entry.override.value, refs: r };
    const refs = entry.pinned !== undefined && entry.pinned !== r.files
      ? { ...r, files: entry.pinned, cache: new Map(), heights: new Map() }
      : r;
    const fromFiles = this.#fileValues(entry, refs.files, r);
    if (fromFiles !== undefined) {
      return { raw: entry.opt.type === "multistring" ? fromFiles : fromFiles[0], refs };
    }
    return { raw: entry.def.set ? entry.def.value : entry.opt.default, refs };
  }

  #substituteValue(entry: Entry, raw: unknown, r: Resolution): unknown {
    if (typeof raw === "string") {
      return hasTemplate(raw) ? this.#substituteText(entry, raw, r) : raw;
    }
    if (Array.isArray(raw)) {
      return raw.map((
        v,
      ) => (typeof v === "string" && hasTemplate(v) ? this.#substituteText(entry, v, r) : v));
    }
    return raw;
  }

  #substituteText(entry: Entry, text: string, r: Resolution): string {
    try {
      return substitute(text, (ref) => this.#substituteRef(entry, text, ref, r), MAX_LENGTH);
    } catch (error) {
      if (!(error instanceof SubstitutionTooLong)) throw error;
      throw new ConfigSubstitutionError(
        entry.opt.name,
        entry.group,
        showValue(this.#shownOpt(entry), text),
        `the value after substitution is longer than ${MAX_LENGTH} characters (the limit)`,
      );
    }
  }

  #substituteRef(entry: Entry, text: string, ref: string, r: Resolution): string {
    const target = this.#lookupRef(entry, ref);
    if (target === undefined) {
      throw new ConfigSubstitutionError(
        entry.opt.name,
        entry.group,
        showValue(entry.opt, text),
        `'$${clip(ref)}' references an unknown option`,
      );
    }
    try {
      const text = asText(this.#resolve(target, r));
      if (this.#hides(target)) this.#secretDerived.add(entry);
      return text;
    } catch (error) {
      if (error instanceof ConfigSubstitutionError && error.reason.startsWith(RECURSION)) {
        // Recursion detected deeper down: report it against the outermost value.
        throw new ConfigSubstitutionError(
          entry.opt.name,
          entry.group,
          showValue(entry.opt, text),
          error.reason,
        );
      }
      throw error;
    }
  }

  #lookupRef(entry: Entry, ref: string): Entry | undefined {
    const dot = ref.indexOf(".");
    if (dot < 0) {
      return this.#groups.get(groupKey(entry.group))?.get(optKey(ref)) ??
        this.#groups.get(DEFAULT_GROUP)?.get(optKey(ref));
    }
    return this.#groups.get(groupKey(ref.slice(0, dot)))?.get(optKey(ref.slice(dot + 1))) ??
      this.#groups.get(DEFAULT_GROUP)?.get(optKey(ref));
  }
}
