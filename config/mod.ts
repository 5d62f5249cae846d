/**
 * oslo.config for Deno: typed options, oslo.config-style INI files, `--config-file` /
 * `--config-dir` arguments, reload/mutate on SIGHUP and sample generation.
 *
 * @example Registering options and loading a file
 * ```ts
 * import { Config, intOpt, serviceOpts } from "@fjord/fjord/config";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/app.conf`, "[DEFAULT]\ngraceful_shutdown_timeout = 5\n[api]\nworkers = 4\n");
 *
 * const conf = new Config();
 * conf.registerOpts(serviceOpts);
 * conf.registerOpt(intOpt("workers", { default: 1, min: 1 }), "api");
 * await conf.load({ args: [`--config-file=${dir}/app.conf`] });
 * assert.equal(conf.get<number>("graceful_shutdown_timeout"), 5); // seconds, as in oslo
 * assert.equal(conf.get<number>("workers", "api"), 4);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */

export * from "./config.ts";
export * from "./opts.ts";
export * from "./errors.ts";
export * from "./ini_parser.ts";
export * from "./sample.ts";
export * from "./fjord_options.ts";
export * from "./config_logger.ts";
