/**
 * The logging seam every fjord module writes through.
 *
 * @module
 */

import { registerDebugDrop } from "./_debug_drop.ts";
import { describeValue } from "./_describe.ts";
import { optionalEnv } from "./_optional_env.ts";

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
  /**
   * The same as `warning` (the name every JS logger has). Optional in a logger given to
   * {@linkcode setLogger}; the one {@linkcode getLogger} returns always has it.
   */
  warn?(message: string, ...details: unknown[]): void;
  /** Something failed. */
  error(message: string, ...details: unknown[]): void;
}

const LEVELS = { debug: 10, info: 20, warning: 30, error: 40 } as const;

function envLevel(): Level {
  const value = optionalEnv("FJORD_LOG_LEVEL")?.toLowerCase();
  return value !== undefined && value in LEVELS ? value as Level : "info";
}

type Level = keyof typeof LEVELS;

/**
 * Where a log record forwarded from a launcher worker came from. Passed as the last detail of
 * the record to the parent's logger; {@linkcode consoleLogger} and {@linkcode jsonLogger} put
 * its fields on the line.
 *
 * @example
 * ```ts
 * import { isLogOrigin, type LogOrigin, setLogger } from "@fjord/fjord";
 *
 * setLogger({
 *   debug() {},
 *   info(message, ...details) {
 *     const origin = details.find(isLogOrigin) as LogOrigin | undefined;
 *     if (origin !== undefined) void `${origin.service}/${origin.workerId}: ${message}`;
 *   },
 *   warning() {},
 *   error() {},
 * });
 * ```
 */
export interface LogOrigin {
  /** When the worker logged it (ISO 8601). */
  readonly time: string;
  /** The worker id (undefined in a standby worker). */
  readonly workerId: number | undefined;
  /** The child's pid (process isolation). */
  readonly pid: number | undefined;
  /** The Web Worker's isolate id (worker isolation). */
  readonly isolateId: number | undefined;
  /** The service's export name. */
  readonly service: string;
}

// Set by the launcher on the origins it makes (runtime/_log_origin.ts).
const ORIGIN = Symbol.for("fjord.logOrigin");

/**
 * Whether a log detail is a {@linkcode LogOrigin} (a record forwarded from a worker).
 *
 * @param value A detail passed to a logger method.
 * @returns `true` for a worker record's origin.
 *
 * @example
 * ```ts
 * import { isLogOrigin } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isLogOrigin({ time: "", service: "api" }), false);
 * ```
 */
export function isLogOrigin(value: unknown): value is LogOrigin {
  return typeof value === "object" && value !== null && ORIGIN in value;
}

function originText(o: LogOrigin): string {
  const where = o.pid !== undefined ? `pid ${o.pid}` : `isolate ${o.isolateId ?? "?"}`;
  return `${o.time} [${o.service} worker ${o.workerId ?? "standby"} ${where}] `;
}

function splitOrigin(details: unknown[]): { origin: LogOrigin | undefined; rest: unknown[] } {
  const last = details.at(-1);
  return isLogOrigin(last)
    ? { origin: last, rest: details.slice(0, -1) }
    : { origin: undefined, rest: details };
}

function makeConsoleLogger(): Required<Logger> {
  // Read once, lazily: debug lines are on hot paths (locks), so the level check must be cheap.
  let threshold: number | undefined;
  const enabled = (level: Level): boolean => {
    threshold ??= LEVELS[envLevel()];
    return LEVELS[level] >= threshold;
  };
  // The console method is looked up per line, so a redirected console is honoured.
  const line =
    (level: Level, label: string, out: "debug" | "info" | "warn" | "error") =>
    (m: string, ...d: unknown[]): void => {
      if (!enabled(level)) return;
      const { origin, rest } = splitOrigin(d);
      const text = `${origin === undefined ? "" : originText(origin)}${label} fjord: ${m}`;
      // deno-lint-ignore no-console
      console[out](text, ...rest);
    };
  const warn = line("warning", "WARNING", "warn");
  const logger = {
    debug: line("debug", "DEBUG", "debug"),
    info: line("info", "INFO", "info"),
    warning: warn,
    warn,
    error: line("error", "ERROR", "error"),
  };
  registerDebugDrop(logger, () => !enabled("debug"));
  return logger;
}

/** Options for {@linkcode jsonLogger}. */
export interface JsonLoggerOptions {
  /** Writes one line (without its newline). Default: stderr, one whole write per line. */
  write?: (line: string) => void;
  /** The lowest level written. Default: `FJORD_LOG_LEVEL`, else `"info"`. */
  level?: "debug" | "info" | "warning" | "error";
}

const encoder = new TextEncoder();

function writeStderr(line: string): void {
  const bytes = encoder.encode(line + "\n");
  let off = 0;
  while (off < bytes.length) off += Deno.stderr.writeSync(bytes.subarray(off));
}

function detailJson(value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, stack: value.stack };
  }
  try {
    JSON.stringify(value);
    return value;
  } catch {
    return Deno.inspect(value);
  }
}

/**
 * A logger for log shippers: one JSON object per line, `{ time, level, message, details?, ... }`
 * plus `workerId`, `pid`, `isolateId` and `service` for records forwarded from a launcher
 * worker (whose `time` is when the worker logged it).
 *
 * @param options Where to write and from which level.
 * @returns The logger.
 *
 * @example
 * ```ts
 * import { jsonLogger } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * const lines: string[] = [];
 * const logger = jsonLogger({ write: (l) => lines.push(l) });
 * logger.warn("disk almost full", { free: 1 });
 * const rec = JSON.parse(lines[0]!);
 * assert.equal(rec.level, "warning");
 * assert.deepEqual(rec.details, [{ free: 1 }]);
 * ```
 */
export function jsonLogger(options: JsonLoggerOptions = {}): Required<Logger> {
  const write = options.write ?? writeStderr;
  let threshold: number | undefined;
  const method = (level: Level) => (message: string, ...d: unknown[]): void => {
    threshold ??= LEVELS[options.level ?? envLevel()];
    if (LEVELS[level] < threshold) return;
    const { origin, rest } = splitOrigin(d);
    const rec: Record<string, unknown> = {
      time: origin?.time ?? new Date().toISOString(),
      level,
      message,
    };
    if (origin !== undefined) {
      rec.service = origin.service;
      rec.workerId = origin.workerId;
      if (origin.pid !== undefined) rec.pid = origin.pid;
      if (origin.isolateId !== undefined) rec.isolateId = origin.isolateId;
    }
    if (rest.length > 0) rec.details = rest.map(detailJson);
    write(JSON.stringify(rec));
  };
  const warn = method("warning");
  const logger = {
    debug: method("debug"),
    info: method("info"),
    warning: warn,
    warn,
    error: method("error"),
  };
  registerDebugDrop(logger, () => {
    threshold ??= LEVELS[options.level ?? envLevel()];
    return LEVELS.debug < threshold;
  });
  return logger;
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
export const consoleLogger: Required<Logger> = makeConsoleLogger();

let current: Required<Logger> = consoleLogger;

/**
 * Replaces the logger fjord writes to (for the whole isolate). In a `ProcessLauncher`, records
 * logged in its workers are forwarded to the launcher's logger, each with a {@linkcode LogOrigin}
 * as its last detail. A logger with only one of `warn` / `warning` gets the other.
 *
 * @param logger The new logger.
 * @throws {TypeError} When `logger` lacks one of `debug`, `info`, `warning` (or `warn`), `error`.
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
    if (method === "warning" && typeof logger?.warn === "function") continue;
    if (typeof logger?.[method] !== "function") {
      throw new TypeError(
        `Cannot set logger as 'logger.${method}' must be a function: current value is ${
          describeValue(logger?.[method])
        }`,
      );
    }
  }
  current = complete(logger);
}

// The logger with both `warn` and `warning`: the same object when it can take the missing one
// (so getLogger() returns what was set), else a wrapper.
function complete(logger: Logger): Required<Logger> {
  if (typeof logger.warn === "function" && typeof logger.warning === "function") {
    return logger as Required<Logger>;
  }
  const name = typeof logger.warn === "function" ? "warning" : "warn";
  const other = name === "warn" ? "warning" : "warn";
  const fn = (m: string, ...d: unknown[]): void => logger[other]!(m, ...d);
  if (Object.isExtensible(logger)) {
    Object.defineProperty(logger, name, { value: fn, configurable: true, writable: true });
    return logger as Required<Logger>;
  }
  return {
    debug: (m, ...d) => logger.debug(m, ...d),
    info: (m, ...d) => logger.info(m, ...d),
    warning: name === "warning" ? fn : (m, ...d) => logger.warning(m, ...d),
    warn: name === "warn" ? fn : (m, ...d) => logger.warn!(m, ...d),
    error: (m, ...d) => logger.error(m, ...d),
  };
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
export function getLogger(): Required<Logger> {
  return current;
}
