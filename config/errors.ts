/**
 * Errors raised by fjord's configuration module.
 *
 * @module
 */

import { clip, quote } from "./_clip.ts";

/**
 * A configuration file does not follow the oslo.config INI dialect.
 *
 * @example Catching a parse error
 * ```ts
 * import { ConfigFileParseError, parseIni } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => parseIni("key = value\n", "app.conf"), (e: unknown) => {
 *   assert.ok(e instanceof ConfigFileParseError);
 *   assert.equal(e.file, "app.conf");
 *   assert.equal(e.line, 1);
 *   return true;
 * });
 * ```
 */
export class ConfigFileParseError extends Error {
  /** The file being parsed (as given to the parser). */
  readonly file: string;
  /** The 1-based line where the problem is. */
  readonly line: number;
  /** What was wrong, without the file and line. */
  readonly reason: string;

  /**
   * Creates the error.
   *
   * @param file The file being parsed.
   * @param line The 1-based line number.
   * @param reason What was wrong.
   * @param options Standard error options (`cause`).
   */
  constructor(file: string, line: number, reason: string, options?: ErrorOptions) {
    super(`Failed to parse ${clip(file)}:${line}: ${reason}`, options);
    this.name = "ConfigFileParseError";
    this.file = file;
    this.line = line;
    this.reason = reason;
  }
}

/**
 * A configuration file given to {@linkcode Config.load} (directly or through `--config-file`)
 * does not exist.
 *
 * @example
 * ```ts
 * import { Config, ConfigFileNotFoundError } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * await assert.rejects(
 *   new Config().load({ files: ["/nonexistent/fjord.conf"] }),
 *   ConfigFileNotFoundError,
 * );
 * ```
 */
export class ConfigFileNotFoundError extends Error {
  /** The missing file, as given. */
  readonly file: string;

  /**
   * Creates the error.
   *
   * @param file The missing file.
   * @param options Standard error options (`cause`).
   */
  constructor(file: string, options?: ErrorOptions) {
    super(`Config file not found: ${clip(file)}`, options);
    this.name = "ConfigFileNotFoundError";
    this.file = file;
  }
}

/**
 * A config file or directory exists (or may) but cannot be read: no permission (`--allow-read`
 * or the file mode), a directory given as a file or a file given as a directory, a name too long.
 * The OS error is the `cause`.
 *
 * @example
 * ```ts
 * import { Config, ConfigFileReadError } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await assert.rejects(new Config().load({ files: [dir] }), ConfigFileReadError); // a directory
 * await Deno.remove(dir);
 * ```
 */
export class ConfigFileReadError extends Error {
  /** The file or directory, as given. */
  readonly file: string;

  /**
   * Creates the error.
   *
   * @param file The file or directory that could not be read.
   * @param options Standard error options; `cause` is the OS error.
   */
  constructor(file: string, options?: ErrorOptions) {
    const cause = options?.cause;
    const why = cause instanceof Error ? cause.message : String(cause);
    const hint = cause instanceof Deno.errors.NotCapable ? " (run with --allow-read)" : "";
    super(`Cannot read config file ${clip(file)}: ${clip(why)}${hint}`, options);
    this.name = "ConfigFileReadError";
    this.file = file;
  }
}

/**
 * A value (from a file, a default or an override) is not valid for its option.
 * A `secret` option's value, or a value into which a secret was substituted, is reported as `***`.
 *
 * @example
 * ```ts
 * import { Config, ConfigValueError, intOpt } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * const conf = new Config();
 * conf.registerOpt(intOpt("workers", { min: 1 }));
 * assert.throws(() => conf.setOverride("workers", 0), ConfigValueError);
 * ```
 */
export class ConfigValueError extends Error {
  /** The option name. */
  readonly option: string;
  /** The option's group (`"DEFAULT"` for ungrouped options). */
  readonly group: string;
  /** The offending value as text (`***` for a secret option). */
  readonly value: string;
  /** Why it is invalid (for example the allowed range or choices). */
  readonly reason: string;

  /**
   * Creates the error.
   *
   * @param option The option name.
   * @param group The option's group.
   * @param value The offending value as text (already masked for secrets).
   * @param reason Why it is invalid.
   * @param options Standard error options (`cause`).
   */
  constructor(
    option: string,
    group: string,
    value: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(
      `Invalid value for option [${clip(group)}] ${clip(option)}: ${quote(value)}: ${reason}`,
      options,
    );
    this.name = "ConfigValueError";
    this.option = option;
    this.group = group;
    this.value = value;
    this.reason = reason;
  }
}

/**
 * A `$name` / `${group.name}` substitution in a value cannot be resolved: it references an
 * unknown option or refers back to itself (directly or through other options).
 *
 * @example
 * ```ts
 * import { Config, ConfigSubstitutionError, strOpt } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * const conf = new Config();
 * conf.registerOpts([strOpt("a", { default: "$b" }), strOpt("b", { default: "$a" })]);
 * assert.throws(() => conf.get("a"), ConfigSubstitutionError);
 * ```
 */
export class ConfigSubstitutionError extends ConfigValueError {
  /**
   * Creates the error.
   *
   * @param option The option whose value holds the substitution.
   * @param group The option's group.
   * @param value The raw value (already masked for secrets).
   * @param reason What could not be resolved.
   * @param options Standard error options (`cause`).
   */
  constructor(
    option: string,
    group: string,
    value: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(option, group, value, reason, options);
    this.name = "ConfigSubstitutionError";
  }
}

/**
 * A `required` option has no value after loading.
 *
 * @example
 * ```ts
 * import { Config, RequiredOptError, strOpt } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * const conf = new Config();
 * conf.registerOpt(strOpt("database_url", { required: true }));
 * await assert.rejects(conf.load(), RequiredOptError);
 * ```
 */
export class RequiredOptError extends Error {
  /** The option name. */
  readonly option: string;
  /** The option's group. */
  readonly group: string;

  /**
   * Creates the error.
   *
   * @param option The option name.
   * @param group The option's group.
   * @param options Standard error options (`cause`).
   */
  constructor(option: string, group: string, options?: ErrorOptions) {
    super(`Value required for option [${clip(group)}] ${clip(option)} but none was set`, options);
    this.name = "RequiredOptError";
    this.option = option;
    this.group = group;
  }
}

/**
 * An option that was never registered was read, defaulted or overridden.
 *
 * @example
 * ```ts
 * import { Config, NoSuchOptError } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => new Config().get("nope"), NoSuchOptError);
 * ```
 */
export class NoSuchOptError extends Error {
  /** The option name. */
  readonly option: string;
  /** The group it was looked up in. */
  readonly group: string;

  /**
   * Creates the error.
   *
   * @param option The option name.
   * @param group The group it was looked up in.
   * @param options Standard error options (`cause`).
   */
  constructor(option: string, group: string, options?: ErrorOptions) {
    super(`No such option [${clip(group)}] ${clip(option)}`, options);
    this.name = "NoSuchOptError";
    this.option = option;
    this.group = group;
  }
}

/**
 * An option was registered twice under the same name and group with different settings
 * (registering an identical option again is allowed and does nothing).
 *
 * @example
 * ```ts
 * import { Config, DuplicateOptError, intOpt } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * const conf = new Config();
 * conf.registerOpt(intOpt("workers", { default: 1 }));
 * conf.registerOpt(intOpt("workers", { default: 1 })); // identical: fine
 * assert.throws(() => conf.registerOpt(intOpt("workers", { default: 2 })), DuplicateOptError);
 * ```
 */
export class DuplicateOptError extends Error {
  /** The option name. */
  readonly option: string;
  /** The group. */
  readonly group: string;

  /**
   * Creates the error.
   *
   * @param option The option name.
   * @param group The group.
   * @param difference Which settings differ.
   * @param options Standard error options (`cause`).
   */
  constructor(option: string, group: string, difference: string, options?: ErrorOptions) {
    super(
      `Cannot register option [${clip(group)}] ${
        clip(option)
      }: a different option with this name is already registered (${difference})`,
      options,
    );
    this.name = "DuplicateOptError";
    this.option = option;
    this.group = group;
  }
}
