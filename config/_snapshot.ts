// Config snapshots: a Config's registered options and current values as plain,
// structured-cloneable data, so another isolate (a launcher's Web Worker or child process) can
// answer `get()` exactly as the original does without reading any file again. Built on Config's
// public API only (plus the secret-display and raw-value hooks).

import { showsSecret } from "./_display.ts";
import { rawAccess } from "./_raw_access.ts";
import { Config, type ConfigSources, type RegisteredOpt } from "./config.ts";
import type { Opt } from "./opts.ts";

/**
 * A {@linkcode Config} as plain data (see {@linkcode snapshotConfig}).
 */
export interface ConfigSnapshot {
  /** Every registered option (schema: name, type, default, flags) with its group. */
  readonly opts: readonly RegisteredOpt[];
  /**
   * `[group, name, value]` for each option that has a value now (unset ones are left out, except
   * a number option emptied in a file while it has a default: `""`).
   */
  readonly values: readonly (readonly [string, string, unknown])[];
  /**
   * `[group, name, raw]` for each option whose value fails to convert now (an option registered
   * after `load()` is checked only when read): the unconverted value of the source that wins, so
   * that the copy, which reads no file, converts it again and throws the same error rather than
   * answering the option's default.
   */
  readonly raw: readonly (readonly [string, string, unknown])[];
  /** The sources the original was loaded from. */
  readonly sources: ConfigSources;
  /** The files it read. */
  readonly configFiles: readonly string[];
}

/**
 * Takes a snapshot of `conf`: its options and every value it resolves now (files, command line,
 * defaults, overrides). An option whose value cannot be resolved fails the same way in the copy:
 * a required one left unset has no value there either, and an invalid one carries its raw value
 * (see {@linkcode ConfigSnapshot.raw}).
 *
 * @param conf The configuration.
 * @returns Plain data; structured-cloneable.
 */
export function snapshotConfig(conf: Config): ConfigSnapshot {
  const opts: RegisteredOpt[] = [];
  const values: [string, string, unknown][] = [];
  const raw: [string, string, unknown][] = [];
  const hides = showsSecret.get(conf);
  const access = rawAccess.get(conf);
  for (const { group, opt } of conf.listOpts()) {
    // A value with a substituted secret is shown as one in the copy too.
    const secret = !opt.secret && hides?.(opt.name, group) === true;
    opts.push({ group, opt: secret ? { ...opt, secret: true } as Opt : opt });
    let value: unknown;
    try {
      value = conf.get(opt.name, group);
    } catch {
      const text = access?.read(opt.name, group);
      if (text !== undefined) raw.push([group, opt.name, text]);
      continue;
    }
    if (value !== undefined) {
      values.push([group, opt.name, value]);
    } else if (opt.default !== undefined) {
      // A number option set to an empty value (`workers =`) has none, though it has a default:
      // the copy, which reads no file, would answer the default. `""` reads as no value there.
      values.push([group, opt.name, ""]);
    }
  }
  return { opts, values, raw, sources: conf.sources, configFiles: conf.configFiles };
}

/**
 * `value` with every `$` escaped: setOverride() substitutes `$name` references (as oslo's
 * set_override does), and a snapshot value has been substituted already (`a$$b` read `a$b`).
 * `\$` rather than `$$`, which would not survive a backslash before the `$` (`C:\$`).
 */
function literal(value: unknown): unknown {
  if (typeof value === "string") return value.replaceAll("$", "\\$");
  if (Array.isArray(value)) return value.map(literal);
  return value;
}

/**
 * Makes `conf` answer like the snapshot's original: registers the options it lacks and pins
 * each snapshot value (as an override). Applying a newer snapshot updates the values.
 *
 * @param conf The configuration to update.
 * @param snap A snapshot from {@linkcode snapshotConfig}.
 */
export function applySnapshot(conf: Config, snap: ConfigSnapshot): void {
  const known = new Set(conf.listOpts().map((r) => `${r.group}\0${r.opt.name}`));
  for (const { group, opt } of snap.opts) {
    if (!known.has(`${group}\0${opt.name}`)) conf.registerOpt(opt, group);
  }
  const set = new Set<string>();
  for (const [group, name, value] of snap.values) {
    conf.setOverride(name, literal(value), group);
    set.add(`${group}\0${name}`);
  }
  const access = rawAccess.get(conf);
  for (const [group, name, raw] of snap.raw) {
    access?.force(name, group, raw);
    set.add(`${group}\0${name}`);
  }
  // An option the original no longer resolves to a value goes back to its own resolution.
  for (const { group, opt } of snap.opts) {
    if (!set.has(`${group}\0${opt.name}`)) conf.setOverride(opt.name, undefined, group);
  }
}

/**
 * A new {@linkcode Config} that answers `get()` as the snapshot's original did.
 *
 * @param snap A snapshot from {@linkcode snapshotConfig}.
 * @returns The copy.
 */
export function configFromSnapshot(snap: ConfigSnapshot): Config {
  const conf = new Config();
  applySnapshot(conf, snap);
  return conf;
}
