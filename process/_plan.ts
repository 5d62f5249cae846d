// execute()'s and sshExecute()'s argument checks and run plan: everything that can fail before a
// spawn, thrown synchronously at the call. The spawning machinery (_run.ts) loads at the first
// run, not when fjord is imported.

import { type Clock, systemClock } from "../runtime/clock.ts";
import { checkClock } from "../runtime/_check_clock.ts";
import { checkBooleanOption } from "../runtime/_check_options.ts";
import { describeValue } from "../runtime/_describe.ts";
import { checkNumber } from "../runtime/_check_number.ts";
import { getLogger } from "../runtime/logger.ts";
import { clip } from "../config/_clip.ts";
import type {
  ExecuteBinaryResult,
  ExecuteLogLevel,
  ExecuteOptions,
  ExecuteResult,
} from "./execute.ts";
import { LogErrors } from "./log_errors.ts";
import { limitEntries, type LimitEntry } from "./_prlimit.ts";
import { isEffectiveRoot, shellSplit } from "./_root.ts";
import { NoRootWrapSpecifiedError } from "./errors.ts";

const SHELL = "/bin/sh";

const encoder = new TextEncoder();

export interface Plan {
  /** The argv to run, without any prlimit wrapper. */
  argv: string[];
  /** The argv to show in logs and errors, without any prlimit wrapper. */
  shown: string[];
  limits: LimitEntry[] | undefined;
  allowed: ((code: number) => boolean) | undefined;
  attempts: number;
  delayOnRetry: boolean;
  logErrors: LogErrors;
  binary: boolean;
  input: Uint8Array | undefined;
  options: ExecuteOptions;
  clock: Clock;
  /** The program name has whitespace and there is no shell (`execute("ls -la")`). */
  spacedProgram: boolean;
  /** Names the runner in `Running cmd (<label>): …` (`subprocess`, `SSH`). */
  label: string;
  /** Logs one line at the call's `loglevel`. */
  log: (message: string) => void;
}

const LEVELS: readonly ExecuteLogLevel[] = ["debug", "info", "warning", "error"];

// Deno cannot pass NUL in argv, environment or cwd (C strings), and a name with `=` or an empty
// name would be split differently by the child's libc (`A=B` + `1` arrives as `A` = `B=1`).
function checkNul(param: string, value: string): void {
  if (value.includes("\0")) fail(param, "free of NUL characters", value);
}

function checkEnv(env: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(env)) {
    if (name === "" || name.includes("=") || name.includes("\0")) {
      fail("env", "keyed by names that are non-empty and contain no '=' or NUL", name);
    }
    if (typeof value !== "string") fail(`env.${clip(name)}`, "a string", value);
    checkNul(`env.${clip(name)}`, value);
  }
}

function fail(param: string, must: string, value: unknown, Kind = TypeError): never {
  throw new Kind(
    `Cannot execute as '${param}' must be ${must}: current value is ${describeValue(value)}`,
  );
}

function allowedCodes(check: ExecuteOptions["checkExitCode"]): Plan["allowed"] {
  // bool before number, as oslo checks it.
  if (check === undefined || check === true) return (code) => code === 0;
  if (check === false) return undefined;
  if (typeof check === "number") {
    checkNumber(check, "execute", "checkExitCode", "an integer", Number.isInteger);
    return (code) => code === check;
  }
  if (Array.isArray(check)) {
    // The item is what is wrong, so the message names it: "string 1" or "number 1.5".
    check.forEach((c: unknown, i) => {
      checkNumber(c, "execute", `checkExitCode[${i}]`, "an integer", Number.isInteger);
    });
    const set = new Set(check);
    return (code) => set.has(code);
  }
  return fail("checkExitCode", "a boolean, an integer or a list of integers", check);
}

/** Checks `cmd` and `options` (everything that can fail before a spawn) and plans the run. */
export function plan(cmd: string | string[], options: ExecuteOptions, label = "subprocess"): Plan {
  if (typeof options !== "object" || options === null) {
    fail("options", "an object", options);
  }
  let words: string[];
  if (typeof cmd === "string") words = [cmd];
  else if (Array.isArray(cmd)) words = [...cmd];
  else return fail("cmd", "a string or an array of strings", cmd);
  if (words.length === 0 || words[0] === "") fail("cmd", "a non-empty command", cmd);
  for (const w of words) if (typeof w !== "string") fail("cmd", "made of strings", w);
  for (const w of words) checkNul("cmd", w);

  const {
    attempts = 1,
    delayOnRetry = true,
    logErrors = LogErrors.DEFAULT,
    binary = false,
    shell = false,
    input,
    env,
    timeout,
    runAsRoot = false,
    rootHelper = "",
    loglevel = "debug",
    cwd,
  } = options;
  // From JavaScript, "false" would count as true: a string `shell` ran the command through
  // /bin/sh (and `delayOnRetry: "no"` still slept).
  checkBooleanOption(delayOnRetry, "execute", "delayOnRetry");
  checkBooleanOption(binary, "execute", "binary");
  checkBooleanOption(shell, "execute", "shell");
  checkBooleanOption(runAsRoot, "execute", "runAsRoot");
  if (!LEVELS.includes(loglevel)) {
    fail("loglevel", `one of ${LEVELS.map((l) => `"${l}"`).join(", ")}`, loglevel, RangeError);
  }
  if (cwd !== undefined) {
    if (typeof cwd !== "string") fail("cwd", "a string", cwd);
    // Deno reads "" as no cwd at all, so the child would run in fjord's own directory (oslo's
    // Popen fails with FileNotFoundError); an empty setting is a mistake, not "here".
    if (cwd === "") fail("cwd", "a non-empty path", cwd);
    checkNul("cwd", cwd);
  }
  checkNumber(attempts, "execute", "attempts", "an integer >= 1", (n) => {
    return Number.isInteger(n) && n >= 1;
  });
  if (logErrors !== 0 && logErrors !== 1 && logErrors !== 2) {
    fail("logErrors", "one of LogErrors.DEFAULT, ALL, FINAL (0, 1, 2)", logErrors, RangeError);
  }
  if (timeout !== undefined) {
    checkNumber(timeout, "execute", "timeout", "a number > 0", (n) => n > 0); // false for NaN
  }
  if (input !== undefined && typeof input !== "string" && !(input instanceof Uint8Array)) {
    fail("input", "a string or a Uint8Array", input);
  }
  if (env !== undefined) {
    if (typeof env !== "object" || env === null) fail("env", "an object", env);
    // Only own enumerable string keys become variables: an array would pass `0=A=1`, a Map an
    // empty environment, and either would replace the whole environment without an error.
    const proto: unknown = Object.getPrototypeOf(env);
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError(
        `Cannot execute as 'env' must be a plain object of names to values: current value is ${
          describeValue(env)
        }`,
      );
    }
    checkEnv(env);
  }
  if (typeof rootHelper !== "string") fail("rootHelper", "a string", rootHelper);
  checkNul("rootHelper", rootHelper);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    fail("signal", "an AbortSignal", options.signal);
  }
  for (const name of ["onExecute", "onCompletion"] as const) {
    const callback = options[name];
    if (callback !== undefined && typeof callback !== "function") {
      fail(name, "a function", callback);
    }
  }
  checkClock(options.clock, "execute");
  const allowed = allowedCodes(options.checkExitCode);
  const limits = options.prlimit === undefined ? undefined : limitEntries(options.prlimit);

  const spacedProgram = !shell && /\s/.test(words[0]!);
  let argv: string[];
  let shown: string[];
  if (shell) {
    // Popen(shell=True) semantics: the first item is the script, the rest are $0, $1, ...
    if (runAsRoot && !isEffectiveRoot()) {
      if (rootHelper === "") throw new NoRootWrapSpecifiedError();
      words[0] = `${rootHelper} ${words[0]}`;
    }
    argv = [SHELL, "-c", ...words];
    shown = words;
  } else {
    if (runAsRoot && !isEffectiveRoot()) {
      if (rootHelper === "") throw new NoRootWrapSpecifiedError();
      words.unshift(...shellSplit(rootHelper));
    }
    argv = shown = words;
  }
  return {
    argv,
    shown,
    limits: limits?.length ? limits : undefined,
    allowed,
    attempts,
    delayOnRetry,
    logErrors,
    binary,
    input: typeof input === "string" ? encoder.encode(input) : input,
    options,
    clock: options.clock ?? systemClock,
    spacedProgram,
    label,
    log: (message) => getLogger()[loglevel](message),
  };
}

// The spawning machinery (_run.ts, with the setsid, prlimit and PATH helpers) loads at the first
// run, not when fjord is imported: most processes that import fjord never run a command.
let runner: Promise<typeof import("./_run.ts")> | undefined;

/** Runs a checked plan (execute() and sshExecute()), loading the spawning machinery once. */
export function runPlan(p: Plan): Promise<ExecuteResult | ExecuteBinaryResult> {
  return (runner ??= import("./_run.ts")).then((m) => m.run(p));
}
