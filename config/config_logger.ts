/**
 * Where a `Config` reports what it notices: deprecated option names, options changed or
 * ignored by `mutate()`, and `logOptions()` dumps. Config is fjord's lowest layer and does not use
 * fjord's logger module; it writes to the sink it is given.
 *
 * @module
 */

/**
 * A sink for a `Config`'s messages, one method per level. fjord's `Logger` (from
 * `getLogger()`) fits, as does any object with these three methods.
 *
 * @example Sending a Config's messages to fjord's logger
 * ```ts
 * import { getLogger } from "@fjord/fjord";
 * import { Config, type ConfigLogger } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * // Forwarding (rather than passing getLogger() itself) follows a later setLogger().
 * const logger: ConfigLogger = {
 *   debug: (m) => getLogger().debug(m),
 *   info: (m) => getLogger().info(m),
 *   warning: (m) => getLogger().warning(m),
 * };
 * const conf = new Config({ logger });
 * assert.equal(conf.logger, logger);
 * ```
 */
export interface ConfigLogger {
  /** Option dumps (`logOptions`). */
  debug(message: string): void;
  /** Options changed by `mutate()`. */
  info(message: string): void;
  /** Deprecated option names in files, changes `mutate()` ignored. */
  warning(message: string): void;
}

/**
 * The sink a `Config` uses when it is given none, as a Deno user expects from a library
 * left unconfigured: warnings go to `console.warn` and info to `console.info` (prefixed
 * `WARNING fjord:` / `INFO fjord:`, like fjord's default logger), debug messages are dropped.
 * Pass a logger (`new Config({ logger })`) to see option dumps or to route messages elsewhere.
 *
 * @example
 * ```ts
 * import { Config, consoleConfigLogger } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new Config().logger, consoleConfigLogger);
 * ```
 */
export const consoleConfigLogger: ConfigLogger = Object.freeze({
  debug(): void {},
  info(message: string): void {
    // deno-lint-ignore no-console
    console.info(`INFO fjord: ${message}`);
  },
  warning(message: string): void {
    // deno-lint-ignore no-console
    console.warn(`WARNING fjord: ${message}`);
  },
});
