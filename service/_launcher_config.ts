// The launchers' use of Config: fjord's service options, the graceful shutdown timeout, option
// logging, and the sources a worker loads its own Config from.

import { Config, consoleConfigLogger } from "../config/mod.ts";
import type { ChangedOptions, ConfigLogger, ConfigSources } from "../config/mod.ts";
import { logOptions, serviceOpts } from "../config/fjord_options.ts";
import { getLogger } from "../runtime/logger.ts";

export type { ConfigSources };

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

/** What a worker needs to load the same Config (undefined: no Config was given). */
export function configSources(conf: Config | undefined): ConfigSources | undefined {
  return conf?.sources;
}

/** Builds a worker's own Config from the parent's sources. */
export async function loadWorkerConfig(sources: ConfigSources | undefined): Promise<Config> {
  const conf = new Config();
  prepareConf(conf);
  if (sources !== undefined) await conf.load(sources);
  return conf;
}

/** Applies SIGHUP's config step: reload (files re-read) or mutate (mutable options only). */
export async function refreshConf(
  conf: Config | undefined,
  method: "reload" | "mutate",
): Promise<ChangedOptions | undefined> {
  if (conf === undefined) return undefined;
  return method === "reload" ? await conf.reload() : await conf.mutate();
}
