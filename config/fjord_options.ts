/**
 * fjord's own options (oslo.service / oslo.concurrency names) and `logOptions`.
 *
 * fjord components register the lists they read on the `Config` they are given; registration is
 * idempotent, so any number of components can register the same list.
 *
 * @module
 */

import { Config } from "./config.ts";
import type { ConfigLogger } from "./config_logger.ts";
import { maskSecrets } from "./_mask.ts";
import { showsSecret } from "./_display.ts";
import { describeValue } from "./_describe.ts";
import { boolOpt, intOpt, type Opt, strOpt } from "./opts.ts";

/**
 * `[DEFAULT]` options of services and launchers: `graceful_shutdown_timeout` (integer,
 * **seconds** in the file, default 60, min 0; 0 waits forever) and `log_options` (boolean,
 * default true: log every option at debug level when a launcher starts).
 *
 * @example
 * ```ts
 * import { Config, serviceOpts } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * const conf = new Config();
 * conf.registerOpts(serviceOpts);
 * assert.equal(conf.get<number>("graceful_shutdown_timeout") * 1000, 60_000);
 * ```
 */
export const serviceOpts: readonly Opt[] = Object.freeze([
  intOpt("graceful_shutdown_timeout", {
    default: 60,
    min: 0,
    mutable: true,
    help: "Specify a timeout after which a gracefully shutdown server will exit. " +
      "Zero value means endless wait. (seconds)",
  }),
  boolOpt("log_options", {
    default: true,
    mutable: true,
    help: "Enables or disables logging values of all registered options when starting a service " +
      "(at DEBUG level).",
  }),
]);

/**
 * `[DEFAULT]` options of periodic tasks: `run_external_periodic_tasks` (boolean, default true:
 * run periodic tasks marked `externalProcessOk` in this process).
 *
 * @example
 * ```ts
 * import { Config, periodicTaskOpts } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * const conf = new Config();
 * conf.registerOpts(periodicTaskOpts);
 * assert.equal(conf.get<boolean>("run_external_periodic_tasks"), true);
 * ```
 */
export const periodicTaskOpts: readonly Opt[] = Object.freeze([
  boolOpt("run_external_periodic_tasks", {
    default: true,
    help: "Some periodic tasks can be run in a separate process. Should we run them here?",
  }),
]);

/**
 * The group of {@linkcode concurrencyOpts}: `"oslo_concurrency"`, as in oslo.concurrency.
 *
 * @example
 * ```ts
 * import { CONCURRENCY_GROUP } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * assert.equal(CONCURRENCY_GROUP, "oslo_concurrency");
 * ```
 */
export const CONCURRENCY_GROUP = "oslo_concurrency";

/**
 * `[oslo_concurrency]` options of locks: `lock_path` (string, no default: the directory for
 * external lock files) and `disable_process_locking` (boolean, default false: make external
 * locks process-local). Register with `conf.registerOpts(concurrencyOpts, CONCURRENCY_GROUP)`.
 *
 * @example
 * ```ts
 * import { CONCURRENCY_GROUP, concurrencyOpts, Config } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * const conf = new Config();
 * conf.registerOpts(concurrencyOpts, CONCURRENCY_GROUP);
 * assert.equal(conf.get<string | undefined>("lock_path", CONCURRENCY_GROUP), undefined);
 * assert.equal(conf.get<boolean>("disable_process_locking", CONCURRENCY_GROUP), false);
 * ```
 */
export const concurrencyOpts: readonly Opt[] = Object.freeze([
  boolOpt("disable_process_locking", {
    default: false,
    help: "Enables or disables inter-process locks.",
  }),
  strOpt("lock_path", {
    help: "Directory to use for lock files. For security, the specified directory should only " +
      "be writable by the user running the processes that need locking.",
  }),
]);

function show(value: unknown): string {
  if (value === undefined) return "None";
  if (Array.isArray(value)) return `[${value.map((v) => JSON.stringify(v)).join(", ")}]`;
  return String(value);
}

// The application's own arguments may hold secrets. maskSecrets() masks `--password=x` in one
// argument; for `--password x` (or `password -p x`) an argument is hidden when maskSecrets() would
// mask it as the value following the arguments before it.
function maskArgs(args: readonly string[]): string[] {
  const probe = "\u0001";
  return args.map((arg, i) =>
    i > 0 && !maskSecrets(`${args.slice(0, i).join(" ")} ${probe}`, "***").endsWith(probe)
      ? "***"
      : maskSecrets(arg, "***")
  );
}

/**
 * Logs every registered option and its value at debug level, framed like oslo.config's
 * `log_opt_values` (the sources first, then `name = value` for `[DEFAULT]` and
 * `group.name = value` for other groups). Secret values, and values into which a secret was
 * substituted (`$db_password`), are logged as `***`, and so are secrets in the command-line
 * arguments (as `maskPassword` finds them); an option whose value is invalid is logged with the
 * error instead of failing.
 *
 * @param conf The configuration to log.
 * @param options `logger`: where to log; default `conf.logger` (whose default,
 * `consoleConfigLogger`, drops debug lines: pass a logger to see the dump).
 * @throws {TypeError} When `conf` is not a Config or `options.logger` lacks `debug`.
 *
 * @example
 * ```ts
 * import { Config, logOptions, strOpt } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * const lines: string[] = [];
 * const keep = (m: string) => lines.push(m);
 * const conf = new Config();
 * conf.registerOpts([strOpt("user", { default: "admin" }), strOpt("password", { default: "s3", secret: true })]);
 * logOptions(conf, { logger: { debug: keep, info: keep, warning: keep } });
 * assert.ok(lines.includes("user = admin"));
 * assert.ok(lines.includes("password = ***"));
 * ```
 */
export function logOptions(conf: Config, options: { logger?: ConfigLogger } = {}): void {
  if (!(conf instanceof Config)) {
    throw new TypeError(
      `Cannot log options as 'conf' must be a Config: current value is ${describeValue(conf)}`,
    );
  }
  const log = options?.logger ?? conf.logger;
  if (typeof log?.debug !== "function") {
    throw new TypeError(
      `Cannot log options as 'logger.debug' must be a function: current value is ${
        describeValue(log?.debug)
      }`,
    );
  }
  const stars = "*".repeat(80);
  log.debug(stars);
  log.debug("Configuration options gathered from:");
  log.debug(`command line args: ${show(maskArgs(conf.sources.args))}`);
  log.debug(`config files: ${show([...conf.configFiles])}`);
  log.debug("=".repeat(80));
  for (const { group, opt } of conf.listOpts()) {
    const name = group === "DEFAULT" ? opt.name : `${group}.${opt.name}`;
    let text: string;
    try {
      const value = conf.get(opt.name, group);
      const hidden = showsSecret.get(conf)?.(opt.name, group) ?? opt.secret;
      text = hidden && value !== undefined ? "***" : show(value);
    } catch (error) {
      text = `<invalid: ${error instanceof Error ? error.message : String(error)}>`;
    }
    log.debug(`${name} = ${text}`);
  }
  log.debug(stars);
}
