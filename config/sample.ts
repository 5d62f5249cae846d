/**
 * Sample config files in the style of oslo-config-generator.
 *
 * @module
 */

import { Config } from "./config.ts";
import { describeValue } from "./_describe.ts";
import type { Opt, OptType } from "./opts.ts";

const TYPE_NAMES: Record<OptType, string> = {
  string: "string value",
  integer: "integer value",
  float: "floating point value",
  boolean: "boolean value",
  list: "list value",
  multistring: "multi valued",
  port: "port value",
};

const WIDTH = 70;

function wrap(text: string): string[] {
  const out: string[] = [];
  for (const paragraph of text.split("\n")) {
    let line = "";
    for (const word of paragraph.split(/\s+/).filter((w) => w !== "")) {
      if (line !== "" && line.length + 1 + word.length > WIDTH) {
        out.push(line);
        line = word;
      } else {
        line = line === "" ? word : `${line} ${word}`;
      }
    }
    out.push(line);
  }
  return out.map((l) => (l === "" ? "#" : `# ${l}`));
}

function defaultLines(opt: Opt): string[] {
  const name = opt.name.replaceAll("-", "_");
  const value = opt.default;
  if (value === undefined) return [opt.type === "multistring" ? `#${name} =` : `#${name} = <None>`];
  if (opt.secret) return [`#${name} = ***`];
  if (Array.isArray(value)) {
    if (opt.type === "multistring") {
      return value.length === 0 ? [`#${name} =`] : value.map((v) => `#${name} = ${String(v)}`);
    }
    return [`#${name} = ${value.join(",")}`];
  }
  const [first = "", ...rest] = String(value).split("\n");
  // Leading/trailing spaces would be trimmed by the parser: quote them (quotes are stripped).
  const head = first.trim() === first ? first : `"${first}"`;
  // Continuation lines of a multi-line default stay comments too.
  return [`#${name} = ${head}`, ...rest.map((line) => `#    ${line}`)];
}

function optLines(opt: Opt): string[] {
  const lines: string[] = [];
  const help = opt.help.trim();
  lines.push(
    ...wrap(help === "" ? `(${TYPE_NAMES[opt.type]})` : `${help} (${TYPE_NAMES[opt.type]})`),
  );
  if (opt.type !== "port" || opt.min !== 0) {
    if (opt.min !== undefined) lines.push(`# Minimum value: ${opt.min}`);
  }
  if (opt.type !== "port" || opt.max !== 65535) {
    if (opt.max !== undefined) lines.push(`# Maximum value: ${opt.max}`);
  }
  if (opt.choices !== undefined) {
    lines.push(
      opt.type === "list" || opt.type === "multistring" ? "# Allowed items:" : "# Possible values:",
    );
    for (const c of opt.choices) lines.push(`# ${String(c)}`);
  }
  if (opt.required) lines.push("# This option is required.");
  if (opt.mutable) lines.push("# Note: This option can be changed without restarting.");
  if (opt.deprecatedName !== undefined) {
    lines.push(`# Deprecated name: ${opt.deprecatedName.replaceAll("-", "_")}`);
  }
  lines.push(...defaultLines(opt));
  return lines;
}

/**
 * Renders a sample config file for every option registered on `conf`, like
 * oslo-config-generator: one `[group]` per group (`[DEFAULT]` first, then the others sorted),
 * each option preceded by its help text and type as comments, its range, choices, flags and
 * deprecated name, and its default commented out (`<None>` when it has none, `***` for secrets).
 * The result parses with {@linkcode parseIni} and, loaded as is, leaves every option at its
 * default.
 *
 * @param conf The configuration whose registered options to describe.
 * @returns The sample file's text.
 * @throws {TypeError} When `conf` is not a Config.
 *
 * @example
 * ```ts
 * import { Config, generateSample, intOpt } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * const conf = new Config();
 * conf.registerOpt(intOpt("workers", { default: 4, min: 1, help: "Number of workers." }));
 * const sample = generateSample(conf);
 * assert.ok(sample.includes("[DEFAULT]\n\n# Number of workers. (integer value)\n# Minimum value: 1\n#workers = 4\n"));
 * ```
 */
export function generateSample(conf: Config): string {
  if (!(conf instanceof Config)) {
    throw new TypeError(
      `Cannot generate a sample as 'conf' must be a Config: current value is ${
        describeValue(conf)
      }`,
    );
  }
  const groups = new Map<string, Opt[]>();
  for (const { group, opt } of conf.listOpts()) {
    let opts = groups.get(group);
    if (opts === undefined) groups.set(group, opts = []);
    opts.push(opt);
  }
  const names = [...groups.keys()].filter((g) => g !== "DEFAULT").sort();
  if (groups.has("DEFAULT") || names.length === 0) names.unshift("DEFAULT");
  const blocks: string[] = [];
  for (const group of names) {
    const lines = [`[${group}]`];
    for (const opt of groups.get(group) ?? []) {
      lines.push("", ...optLines(opt));
    }
    blocks.push(lines.join("\n") + "\n");
  }
  return blocks.join("\n\n");
}
