// The seam to config/: registers [oslo_concurrency] on the Config it is given (idempotent) and
// reads lock_path / disable_process_locking.

import { CONCURRENCY_GROUP, concurrencyOpts, type Config } from "../config/mod.ts";

export type { Config };

// Registration is idempotent in Config; the WeakSet only skips the repeated work per call.
const registered = new WeakSet<Config>();

function ensureRegistered(conf: Config): void {
  if (registered.has(conf)) return;
  conf.registerOpts(concurrencyOpts, CONCURRENCY_GROUP);
  registered.add(conf);
}

/** `[oslo_concurrency] lock_path` of `conf` (undefined when unset or empty). */
export function confLockPath(conf: Config): string | undefined {
  ensureRegistered(conf);
  const v = conf.get<string | undefined>("lock_path", CONCURRENCY_GROUP);
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** `[oslo_concurrency] disable_process_locking` of `conf`. */
export function confDisableProcessLocking(conf: Config): boolean {
  ensureRegistered(conf);
  return conf.get<boolean>("disable_process_locking", CONCURRENCY_GROUP) === true;
}
