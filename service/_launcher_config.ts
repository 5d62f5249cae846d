// The launchers' use of Config: fjord's service options, the graceful shutdown timeout, option
// logging, and the snapshot of the parent's Config that every worker's own Config is built from
// (workers read no config file: the parent reads them once, and a reload hands the new values to
// replacement workers; a mutate sends them to the running ones).

import { Config, consoleConfigLogger } from "../config/mod.ts";
import type { ChangedOptions, ConfigLogger } from "../config/mod.ts";
import { type ConfigSnapshot, snapshotConfig } from "../config/_snapshot.ts";
import { logOptions, serviceOpts } from "../config/fjord_options.ts";
import { getLogger } from "../runtime/logger.ts";
import { describeValue } from "../runtime/_describe.ts";

export type { ConfigSnapshot };

const DEFAULT_GRACEFUL_TIMEOUT_S = 60;

// Config is a leaf and does not know fjord's logger: a Config without a logger of its own
// reports through whatever setLogger() installed, as before config took a sink.
const fjordLogger: ConfigLogger = {
  debug: (m) => getLogger().debug(m),
  info: (m) => getLogger().info(m),
  warning: (m) => getLogger().warning(m),
};

/** Registers fjord's service options on `conf` (idempotent); routes its messages to fjord's log. */
export function prepareConf(conf: Config | undefined): void {
  if (
    conf !== undefined &&
    (conf === null || typeof (conf as Partial<Config>).registerOpts !== "function")
  ) {
    throw new TypeError(
      `Cannot create launcher as 'conf' must be a Config (or undefined): current value is ${
        describeValue(conf)
      }`,
    );
  }
  if (conf !== undefined && conf.logger === consoleConfigLogger) conf.logger = fjordLogger;
  conf?.registerOpts(serviceOpts);
}

/** The graceful shutdown timeout in ms; 0 means wait forever. */
export function gracefulTimeoutMs(conf: Config | undefined): number {
  if (conf === undefined) return DEFAULT_GRACEFUL_TIMEOUT_S * 1000;
  const s = conf.get<number>("graceful_shutdown_timeout");
  return Math.max(0, s) * 1000;
}

/** Logs every option when `log_options` says so. */
export function maybeLogOptions(conf: Config | undefined): void {
  if (conf === undefined) return;
  try {
    if (conf.get<boolean>("log_options")) logOptions(conf);
  } catch (err) {
    getLogger().warning("Could not log options", err);
  }
}

// Which Config each snapshot was taken from, so a worker handle can take a fresh one to send
// with a mutate.
const origins = new WeakMap<ConfigSnapshot, Config>();
let bare: ConfigSnapshot | undefined;

/**
 * What a worker builds its Config from: a snapshot of `conf`, or (no Config given) of one with
 * fjord's service options only. Always a snapshot, so that a worker never loads the option
 * definitions itself.
 */
export function configSources(conf: Config | undefined): ConfigSnapshot {
  if (conf === undefined) {
    if (bare === undefined) {
      const fresh = new Config();
      prepareConf(fresh);
      bare = snapshotConfig(fresh);
    }
    return bare;
  }
  const snap = snapshotConfig(conf);
  origins.set(snap, conf);
  return snap;
}

/** A fresh snapshot of the Config `snap` was taken from (undefined: none, nothing changes). */
export function refreshSnapshot(snap: ConfigSnapshot | undefined): ConfigSnapshot | undefined {
  const conf = snap === undefined ? undefined : origins.get(snap);
  return conf === undefined ? undefined : configSources(conf);
}

/** Applies SIGHUP's config step: reload (files re-read) or mutate (mutable options only). */
export async function refreshConf(
  conf: Config | undefined,
  method: "reload" | "mutate",
): Promise<ChangedOptions | undefined> {
  if (conf === undefined) return undefined;
  return method === "reload" ? await conf.reload() : await conf.mutate();
}
