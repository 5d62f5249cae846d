/**
 * The logging seam every fjord module writes through.
 *
 * @module
 */

/**
 * Where fjord's log lines go. Each method takes a preformatted message and optional details.
 *
 * @example A logger that keeps warnings
 * ```ts
 * import { getLogger, type Logger, setLogger } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * const previous = getLogger();
 * const warnings: string[] = [];
 * const logger: Logger = {
 *   debug: () => {},
 *   info: () => {},
 *   warning: (message) => void warnings.push(message),
 *   error: () => {},
 * };
 * setLogger(logger);
 * getLogger().warning("disk almost full");
 * setLogger(previous);
 * assert.deepEqual(warnings, ["disk almost full"]);
 * ```
 */
export interface Logger {
  /** Fine-grained tracing (lock waited/held, option dumps). */
  debug(message: string, ...details: unknown[]): void;
  /** Lifecycle events (service started, worker respawned, "Forking too fast"). */
  info(message: string, ...details: unknown[]): void;
  /** Something went wrong but fjord carries on (looping-call overruns). */
  warning(message: string, ...details: unknown[]): void;
  /** Something failed. */
  error(message: string, ...details: unknown[]): void;
}

const LEVELS = { debug: 10, info: 20, warning: 30, error: 40 } as const;
type Level = keyof typeof LEVELS;

function envLevel(): Level {
  try {
    const value = Deno.env.get("FJORD_LOG_LEVEL")?.toLowerCase();
    if (value !== undefined && value in LEVELS) return value as Level;
  } catch {
    // No --allow-env: the variable counts as unset.
  }
  return "info";
}

function makeConsoleLogger(): Logger {
  // Read once, lazily: debug lines are on hot paths (locks), so the level check must be cheap.
  let threshold: number | undefined;
  const enabled = (level: Level): boolean => {
    threshold ??= LEVELS[envLevel()];
    return LEVELS[level] >= threshold;
  };
  return {
    // deno-lint-ignore no-console
    debug: (m, ...d) => enabled("debug") && console.debug(`DEBUG fjord: ${m}`, ...d),
    // deno-lint-ignore no-console
    info: (m, ...d) => enabled("info") && console.info(`INFO fjord: ${m}`, ...d),
    // deno-lint-ignore no-console
    warning: (m, ...d) => enabled("warning") && console.warn(`WARNING fjord: ${m}`, ...d),
    // deno-lint-ignore no-console
    error: (m, ...d) => enabled("error") && console.error(`ERROR fjord: ${m}`, ...d),
  };
}

/**
 * The default logger: writes to the console, `info` and above unless the `FJORD_LOG_LEVEL`
 * environment variable (`debug`, `info`, `warning`, `error`) says otherwise.
 *
 * @example
 * ```ts
 * import { consoleLogger, setLogger } from "@fjord/fjord/runtime";
 *
 * setLogger(consoleLogger);
 * ```
 */
export const consoleLogger: Logger = makeConsoleLogger();

let current: Logger = consoleLogger;

/**
 * Replaces the logger fjord writes to (for the whole isolate).
 *
 * @param logger The new logger.
 * @throws {TypeError} When `logger` lacks one of `debug`, `info`, `warning`, `error`.
 *
 * @example Capturing log lines
 * ```ts
 * import { consoleLogger, getLogger, setLogger } from "@fjord/fjord/runtime";
 * import assert from "node:assert/strict";
 *
 * const lines: string[] = [];
 * setLogger({
 *   debug: (m) => lines.push(m),
 *   info: (m) => lines.push(m),
 *   warning: (m) => lines.push(m),
 *   error: (m) => lines.push(m),
 * });
 * getLogger().info("hello");
 * assert.deepEqual(lines, ["hello"]);
 * setLogger(consoleLogger);
 * ```
 */
export function setLogger(logger: Logger): void {
  for (const method of ["debug", "info", "warning", "error"] as const) {
    if (typeof logger?.[method] !== "function") {
      throw new TypeError(`Cannot set logger as 'logger.${method}' is not a function`);
    }
  }
  current = logger;
}

/**
 * The logger fjord currently writes to.
 *
 * @returns The logger set by {@linkcode setLogger}, else {@linkcode consoleLogger}.
 *
 * @example
 * ```ts
 * import { getLogger } from "@fjord/fjord";
 *
 * getLogger().debug("not shown unless FJORD_LOG_LEVEL=debug");
 * ```
 */
export function getLogger(): Logger {
  return current;
}
