// Helpers shared by every test folder.

import assert from "node:assert/strict";
import { getLogger, setLogger } from "../runtime/logger.ts";

/** Polls `cond` every 10 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await cond())) {
    if (performance.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** One captured log call. */
export interface LogRecord {
  readonly level: "debug" | "info" | "warning" | "error";
  readonly message: string;
  readonly details: unknown[];
  /** Wall-clock ms when it was logged. */
  readonly at: number;
}

/** What {@linkcode captureLog} collects; disposing puts the previous logger back. */
export interface CapturedLog extends Disposable {
  /** Every message, any level, in order. */
  readonly lines: string[];
  /** Every call with its level, details and time, in order. */
  readonly records: LogRecord[];
  /** The messages logged at `level` (a live array, as `warnings` and `errors`). */
  messages(level: LogRecord["level"]): string[];
  /** The warning messages (live: a test may empty it between steps). */
  readonly warnings: string[];
  /** The error messages (live: a test may empty it between steps). */
  readonly errors: string[];
}

/** Captures every fjord log call until disposed: `using log = captureLog();`. */
export function captureLog(): CapturedLog {
  const previous = getLogger();
  const lines: string[] = [];
  const records: LogRecord[] = [];
  const byLevel: Record<LogRecord["level"], string[]> = {
    debug: [],
    info: [],
    warning: [],
    error: [],
  };
  const record = (level: LogRecord["level"]) => (message: string, ...details: unknown[]): void => {
    lines.push(message);
    byLevel[level].push(message);
    records.push({ level, message, details, at: performance.timeOrigin + performance.now() });
  };
  setLogger({
    debug: record("debug"),
    info: record("info"),
    warning: record("warning"),
    error: record("error"),
  });
  return {
    lines,
    records,
    messages: (level) => byLevel[level],
    warnings: byLevel.warning,
    errors: byLevel.error,
    [Symbol.dispose]: () => setLogger(previous),
  };
}

/**
 * Calls `onTimer` with the name and the caller's stack line whenever this isolate creates a
 * timer from now on (a process's first timer costs Deno 7-12 ms, which some paths must avoid).
 */
export function traceTimers(onTimer: (name: string, caller: string) => void): void {
  for (const name of ["setTimeout", "setInterval"]) {
    const real = Reflect.get(globalThis, name) as (...args: unknown[]) => unknown;
    Reflect.set(globalThis, name, (...args: unknown[]) => {
      onTimer(name, new Error().stack?.split("\n")[2]?.trim() ?? "");
      return real(...args);
    });
  }
}

/** Clock options that are not a Clock, each with how the error message describes it. */
export const BAD_CLOCKS: readonly (readonly [unknown, string])[] = [
  [5, "number 5"],
  [{ now: 1 }, "an instance of Object"],
  [0, "number 0"],
];

/**
 * Asserts that each `[what, call]` throws or rejects with the TypeError for a `clock` option that
 * is not a Clock, the value described as `shown`.
 */
export async function assertRefusesClock(
  calls: readonly (readonly [string, () => unknown])[],
  shown: string,
): Promise<void> {
  for (const [what, call] of calls) {
    await assert.rejects(async () => await call(), {
      name: "TypeError",
      message:
        `Cannot ${what} as 'clock' must be a Clock (an object with now() and sleep()): current value is ${shown}`,
    }, what);
  }
}

/** A fixed-interval looping call class (the export, or a backend's component). */
type FixedLoopClass = new (fn: () => unknown) => {
  start(o: { interval: number }): { stop(): void; wait(): Promise<unknown> };
};

/**
 * Runs `fn` while a long-interval loop of `Fixed` on the system clock holds the isolate's timer
 * thread. A loop started in `fn` then takes its schedule's anchor (the clock reading just before
 * its first call) within microseconds of its `start()`, so `performance.now()` read before that
 * is a lower bound of its schedule that a preempted first call cannot push up: comparing later
 * calls with the first call's own reading made them look early when that call was preempted.
 */
export async function withTimerThreadHeld<T>(
  Fixed: FixedLoopClass,
  fn: () => Promise<T>,
): Promise<T> {
  const holding = Promise.withResolvers<void>();
  const holder = new Fixed(() => holding.resolve()).start({ interval: 2000 });
  try {
    await holding.promise; // its first call ran: the thread is up
    return await fn();
  } finally {
    holder.stop();
    await holder.wait();
  }
}

function shellQuote(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/**
 * Runs `args` under `script` (util-linux), so the program has a terminal, where Deno shows its
 * permission prompts. A prompt waits for an answer that never comes: the run is killed after
 * 30 s and the caller's assertions fail on its output.
 */
export async function atTerminal(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; output: string }> {
  const child = new Deno.Command("script", {
    args: ["-qec", args.map(shellQuote).join(" "), "/dev/null"],
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // Ended meanwhile.
    }
  }, 30_000);
  try {
    const out = await child.output();
    const text = new TextDecoder();
    return { code: out.code, output: text.decode(out.stdout) + text.decode(out.stderr) };
  } finally {
    clearTimeout(timer);
  }
}
