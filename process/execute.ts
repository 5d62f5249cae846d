/**
 * {@linkcode execute}: run a command, oslo.concurrency `processutils.execute` style.
 *
 * @module
 */

import { type Clock, systemClock } from "../runtime/clock.ts";
import { getLogger } from "../runtime/logger.ts";
import { ProcessExecutionError, ProcessTimeoutError } from "./errors.ts";
import { LogErrors } from "./log_errors.ts";
import { maskPassword } from "./mask_password.ts";
import type { ProcessLimits } from "./process_limits.ts";
import {
  limitEntries,
  type LimitEntry,
  prlimitAvailable,
  prlimitPrefix,
  setPrlimitAvailable,
  ulimitPrefix,
} from "./_prlimit.ts";
import { pyRepr } from "./_repr.ts";
import { isEffectiveRoot, shellSplit } from "./_root.ts";
import { setSetsidAvailable, setsidAvailable, setsidExecError } from "./_setsid.ts";
import { signalNumber } from "./_signals.ts";
import { resolveForWrapper } from "./_which.ts";
import { NoRootWrapSpecifiedError } from "./errors.ts";

/**
 * Options for {@linkcode execute}. Every one is optional.
 *
 * @example Options for a flaky command that reads its input and must finish in 5 s
 * ```ts
 * import { execute, type ExecuteOptions, LogErrors } from "@fjord/fjord/process";
 * import assert from "node:assert/strict";
 *
 * const options: ExecuteOptions = {
 *   input: "payload",
 *   attempts: 3,
 *   delayOnRetry: false,
 *   checkExitCode: [0, 2],
 *   timeout: 5000,
 *   logErrors: LogErrors.FINAL,
 * };
 * const { stdout } = await execute(["sh", "-c", "cat; exit 2"], options);
 * assert.equal(stdout, "payload");
 * ```
 */
export interface ExecuteOptions {
  /** Working directory of the child. */
  cwd?: string;
  /** Written to the child's stdin, which is then closed (a string is sent as UTF-8). */
  input?: string | Uint8Array;
  /** The child's whole environment: it **replaces** the parent's (oslo semantics). */
  env?: Record<string, string>;
  /**
   * Which exit codes succeed: `true` → `[0]`, `false` → any, a number or a list of numbers.
   * Default `[0]`.
   */
  checkExitCode?: boolean | number | number[];
  /** Total tries (>= 1, default 1); bad exit codes and start failures are retried. */
  attempts?: number;
  /** Sleep a uniform 200–2000 ms (10 ms steps) between attempts. Default `true`. */
  delayOnRetry?: boolean;
  /** Prefix the command with `rootHelper` (only when not already running as root). */
  runAsRoot?: boolean;
  /** The root helper command line, e.g. `"sudo -n"`; split into words like `shlex.split`. */
  rootHelper?: string;
  /** Run a string command as `/bin/sh -c <string>`; further array items become `$0`, `$1`, …. */
  shell?: boolean;
  /** Which failed attempts to dump to the log (warning level). Default `LogErrors.DEFAULT`. */
  logErrors?: LogErrors;
  /** Resolve with the raw bytes instead of UTF-8 strings. */
  binary?: boolean;
  /** Resource limits for the child only. */
  prlimit?: ProcessLimits;
  /**
   * Milliseconds an attempt may run; then its process group gets SIGTERM, SIGKILL 2000 ms later,
   * and the call rejects with {@linkcode ProcessTimeoutError} (not retried).
   */
  timeout?: number;
  /** Aborting kills the child's process group like `timeout` and rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** Called right after each spawn; the child's streams belong to `execute`, do not read them. */
  onExecute?: (child: Deno.ChildProcess) => void;
  /** Called after each attempt's child has finished, also after a timeout or abort. */
  onCompletion?: (child: Deno.ChildProcess) => void;
  /** The clock for the retry delay, the timeout and the kill grace period (tests). */
  clock?: Clock;
}

/**
 * What {@linkcode execute} resolves with by default: the decoded output (U+FFFD for bad UTF-8).
 *
 * @example
 * ```ts
 * import { execute, type ExecuteResult } from "@fjord/fjord/process";
 * import assert from "node:assert/strict";
 *
 * const result: ExecuteResult = await execute(["printf", "a\\377b"]);
 * assert.equal(result.stdout, "a\uFFFDb");
 * ```
 */
export interface ExecuteResult {
  /** The child's standard output. */
  stdout: string;
  /** The child's standard error. */
  stderr: string;
}

/**
 * What {@linkcode execute} resolves with given `binary: true`: the raw output bytes.
 *
 * @example
 * ```ts
 * import { execute, type ExecuteBinaryResult } from "@fjord/fjord/process";
 * import assert from "node:assert/strict";
 *
 * const result: ExecuteBinaryResult = await execute(["printf", "a\\377b"], { binary: true });
 * assert.deepEqual([...result.stdout], [0x61, 0xff, 0x62]);
 * ```
 */
export interface ExecuteBinaryResult {
  /** The child's standard output. */
  stdout: Uint8Array;
  /** The child's standard error. */
  stderr: Uint8Array;
}

// After SIGTERM to a timed-out or aborted child's group, how long before SIGKILL.
const KILL_GRACE_MS = 2000;
const SHELL = "/bin/sh";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

interface Plan {
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
}

function typeName(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

function fail(param: string, must: string, value: unknown, Kind = TypeError): never {
  throw new Kind(
    `Cannot execute as '${param}' must be ${must}: current value is ${typeName(value)}`,
  );
}

function allowedCodes(check: ExecuteOptions["checkExitCode"]): Plan["allowed"] {
  // bool before number, as oslo checks it.
  if (check === undefined || check === true) return (code) => code === 0;
  if (check === false) return undefined;
  if (typeof check === "number") {
    if (!Number.isInteger(check)) fail("checkExitCode", "an integer", check);
    return (code) => code === check;
  }
  if (Array.isArray(check)) {
    if (!check.every((c) => Number.isInteger(c))) {
      fail("checkExitCode", "a boolean, an integer or a list of integers", `[${check}]`);
    }
    const set = new Set(check);
    return (code) => set.has(code);
  }
  return fail("checkExitCode", "a boolean, an integer or a list of integers", check);
}

function plan(cmd: string | string[], options: ExecuteOptions): Plan {
  if (typeof options !== "object" || options === null) {
    fail("options", "an object", options);
  }
  let words: string[];
  if (typeof cmd === "string") words = [cmd];
  else if (Array.isArray(cmd)) words = [...cmd];
  else return fail("cmd", "a string or an array of strings", cmd);
  if (words.length === 0 || words[0] === "") fail("cmd", "a non-empty command", cmd);
  for (const w of words) if (typeof w !== "string") fail("cmd", "made of strings", w);

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
  } = options;
  if (typeof attempts !== "number") fail("attempts", "a number", attempts);
  if (!Number.isInteger(attempts) || attempts < 1) {
    fail("attempts", "an integer >= 1", attempts, RangeError);
  }
  if (logErrors !== 0 && logErrors !== 1 && logErrors !== 2) {
    fail("logErrors", "one of LogErrors.DEFAULT, ALL, FINAL (0, 1, 2)", logErrors, RangeError);
  }
  if (timeout !== undefined) {
    if (typeof timeout !== "number" || Number.isNaN(timeout)) fail("timeout", "a number", timeout);
    if (timeout <= 0) fail("timeout", "> 0", timeout, RangeError);
  }
  if (input !== undefined && typeof input !== "string" && !(input instanceof Uint8Array)) {
    fail("input", "a string or a Uint8Array", input);
  }
  if (env !== undefined) {
    if (typeof env !== "object" || env === null) fail("env", "an object", env);
    for (const [k, v] of Object.entries(env)) {
      if (typeof v !== "string") fail(`env.${k}`, "a string", v);
    }
  }
  if (typeof rootHelper !== "string") fail("rootHelper", "a string", rootHelper);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    fail("signal", "an AbortSignal", options.signal);
  }
  for (const name of ["onExecute", "onCompletion"] as const) {
    const callback = options[name];
    if (callback !== undefined && typeof callback !== "function") {
      fail(name, "a function", callback);
    }
  }
  const allowed = allowedCodes(options.checkExitCode);
  const limits = options.prlimit === undefined ? undefined : limitEntries(options.prlimit);

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
  };
}

/**
 * Runs a command and resolves with its output, like oslo.concurrency's `processutils.execute`.
 *
 * An array command runs directly, never through a shell. A string is one program name (never
 * split on spaces) unless `shell: true`, which runs it as `/bin/sh -c <string>`. stdin is always
 * a pipe: `input` is written to it, then it is closed (the child sees EOF at once without input).
 * `env` replaces the whole environment. A bad exit code (default: anything but 0) rejects with
 * {@linkcode ProcessExecutionError}; so does a program that cannot be started (`exitCode`
 * `undefined`, the OS error as `cause`). Both are retried up to `attempts` times in total, with a
 * uniform 200–2000 ms sleep in between when `delayOnRetry` (the default).
 *
 * A child killed by a signal reports `exitCode` = minus the signal number and `signal` set.
 * With `timeout` or `signal` the child runs in its own session and process group (through
 * util-linux `setsid` when installed and allowed, else Deno's `detached` option); when the time
 * is up or the signal aborts, the whole group gets SIGTERM, then SIGKILL after 2000 ms, and the
 * call rejects with {@linkcode ProcessTimeoutError} or `signal.reason`, without retrying. A
 * descendant that left the group (its own `setsid`) is out of reach; if it holds the output
 * pipes, reading stops 2000 ms after the SIGKILL. Signalling a group needs `--allow-run` without
 * a program list; with a scoped `--allow-run=prog` only the child itself is killed (a warning is
 * logged once).
 *
 * The command line in logs and errors is the argv joined by spaces and masked with
 * {@linkcode maskPassword}; so are stdout and stderr inside errors. Successful output is returned
 * unmasked. Log lines (debug: `Running cmd (subprocess): …`, `CMD "…" returned: 0 in 0.002s`) go
 * to `getLogger()`; `logErrors` dumps go at warning level.
 *
 * Needs `--allow-run` for the program (and for `/bin/sh`, `prlimit` or the root helper when
 * those options are used).
 *
 * @param cmd The program and its arguments, or one program name / shell script string.
 * @param options `binary: true` resolves with bytes instead of strings; see {@linkcode ExecuteOptions}.
 * @returns The child's stdout and stderr.
 * @throws {TypeError} When `cmd` is empty or not strings, or an option has the wrong type.
 * @throws {RangeError} When `attempts < 1`, `timeout <= 0`, `logErrors` is unknown or a limit is
 *   negative.
 * @throws {NoRootWrapSpecifiedError} When `runAsRoot` is set, not running as root, and no
 *   `rootHelper` was given.
 * @throws {ProcessExecutionError} (rejection) The last attempt's bad exit code or start failure.
 * @throws {ProcessTimeoutError} (rejection) The timeout expired; the process group was killed.
 * @throws {Deno.errors.NotCapable} (rejection) `--allow-run` does not cover the program.
 * @throws {Deno.errors.NotSupported} (rejection) A `prlimit` limit cannot be applied here.
 *
 * @example
 * ```ts
 * import { execute, ProcessExecutionError } from "@fjord/fjord/process";
 * import assert from "node:assert/strict";
 *
 * const { stdout } = await execute(["sh", "-c", "cat; echo done"], { input: "hi " });
 * assert.equal(stdout, "hi done\n");
 *
 * await assert.rejects(
 *   execute("exit 3", { shell: true, attempts: 2, delayOnRetry: false }),
 *   (err) => err instanceof ProcessExecutionError && err.exitCode === 3,
 * );
 * ```
 */
export function execute(
  cmd: string | string[],
  options: ExecuteOptions & { binary: true },
): Promise<ExecuteBinaryResult>;
/**
 * Runs a command and resolves with its decoded output; see the `binary: true` overload for
 * the full description.
 *
 * @param cmd The program and its arguments, or one program name / shell script string.
 * @param options See {@linkcode ExecuteOptions}.
 * @returns The child's stdout and stderr as UTF-8 strings (U+FFFD for invalid bytes).
 * @throws {TypeError} When `cmd` is empty or not strings, or an option has the wrong type.
 * @throws {RangeError} When `attempts < 1` or another numeric option is out of range.
 *
 * @example
 * ```ts
 * import { execute } from "@fjord/fjord/process";
 * import assert from "node:assert/strict";
 *
 * const { stdout } = await execute(["echo", "hello"]);
 * assert.equal(stdout, "hello\n");
 * ```
 */
export function execute(cmd: string | string[], options?: ExecuteOptions): Promise<ExecuteResult>;
/** @ignore The implementation signature; callers see the two overloads above. */
export function execute(
  cmd: string | string[],
  options: ExecuteOptions = {},
): Promise<ExecuteResult | ExecuteBinaryResult> {
  const p = plan(cmd, options);
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return run(p);
}

function randomRetryDelay(): number {
  // oslo: random.randint(20, 200) / 100.0 seconds.
  return (20 + Math.floor(Math.random() * 181)) * 10;
}

function dump(err: ProcessExecutionError): string {
  if (err.exitCode === undefined && err.cause !== undefined) {
    const cause = err.cause as { code?: unknown; name?: unknown };
    return `Got an OSError\ncommand: ${pyRepr(err.cmd)}\nerrno: ${
      String(cause.code ?? cause.name)
    }`;
  }
  return `${pyRepr(err.description)}\ncommand: ${pyRepr(err.cmd)}\nexit code: ${err.exitCode}` +
    `\nstdout: ${pyRepr(err.stdout)}\nstderr: ${pyRepr(err.stderr)}`;
}

async function run(p: Plan): Promise<ExecuteResult | ExecuteBinaryResult> {
  const log = getLogger();
  for (let left = p.attempts - 1;; left--) {
    try {
      return await attempt(p);
    } catch (err) {
      if (!(err instanceof ProcessExecutionError)) throw err;
      if (p.logErrors === LogErrors.ALL || (p.logErrors === LogErrors.FINAL && left === 0)) {
        log.warning(dump(err));
      }
      if (left === 0) {
        log.debug(`${pyRepr(err.cmd)} failed. Not Retrying.`);
        throw err;
      }
      log.debug(`${pyRepr(err.cmd)} failed. Retrying.`);
      if (p.delayOnRetry) {
        await p.clock.sleep(
          randomRetryDelay(),
          p.options.signal ? { signal: p.options.signal } : {},
        );
      } else if (p.options.signal?.aborted) {
        throw p.options.signal.reason;
      }
    }
  }
}

interface Spawned {
  child: Deno.ChildProcess;
  display: string;
  /** The program is wrapped in util-linux setsid (whose exec failures need translating). */
  setsid: boolean;
}

function spawn(p: Plan, grouped: boolean, trySetsid = true, tryPrlimit = true): Spawned {
  let prefix: string[] = [];
  if (p.limits !== undefined) {
    if (!tryPrlimit || prlimitAvailable() === false) {
      const wrapper = ulimitPrefix(p.limits);
      if (typeof wrapper === "string") throw new Deno.errors.NotSupported(wrapper);
      prefix = wrapper;
    } else {
      prefix = prlimitPrefix(p.limits);
    }
  }
  // A new session (so a process group to kill) for a timeout or abort; see _setsid.ts.
  const setsid = grouped && trySetsid && setsidAvailable() !== false;
  if (setsid) prefix = ["setsid", ...prefix];
  const argv = prefix.length
    ? [...prefix, resolveForWrapper(p.argv[0]!, p.options.env), ...p.argv.slice(1)]
    : p.argv;
  if (setsid) prefix = prefix.slice(1); // not shown: an implementation detail
  const display = maskPassword(
    prefix.length ? [...prefix, ...p.shown].join(" ") : p.shown.join(" "),
  );
  const { cwd, env } = p.options;
  // Deno looks a wrapper up in `env.PATH` when there is one: not finding it there says nothing
  // about fjord's own PATH, so it is not remembered for other calls.
  const ownPath = env === undefined || !Object.hasOwn(env, "PATH");
  getLogger().debug(`Running cmd (subprocess): ${display}`);
  try {
    const child = new Deno.Command(argv[0]!, {
      args: argv.slice(1),
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      ...(cwd !== undefined && { cwd }),
      ...(env !== undefined && { env, clearEnv: true }),
      ...(grouped && !setsid && { detached: true }),
    }).spawn();
    if (prefix[0] === "prlimit") setPrlimitAvailable(true);
    if (setsid) setSetsidAvailable(true);
    return { child, display, setsid };
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable && setsid) {
      // --allow-run names the program but not setsid: Deno's detached option needs no permission.
      return spawn(p, grouped, false, tryPrlimit);
    }
    if (err instanceof Deno.errors.NotCapable) {
      const program = maskPassword(argv[0]!);
      throw new Deno.errors.NotCapable(
        `Cannot run '${program}' as the --allow-run permission does not cover it: run again with ` +
          `--allow-run (or --allow-run=${program})`,
        { cause: maskError(err) },
      );
    }
    // NotFound may also mean a missing `cwd`: a wrapper is known to be missing only once the
    // same spawn works without it.
    if (err instanceof Deno.errors.NotFound && setsid) {
      const spawned = spawn(p, grouped, false, tryPrlimit);
      if (ownPath) setSetsidAvailable(false);
      return spawned;
    }
    if (err instanceof Deno.errors.NotFound && argv[0] === "prlimit" && prefix.length) {
      const spawned = spawn(p, grouped, trySetsid, false);
      if (ownPath) setPrlimitAvailable(false);
      return spawned;
    }
    // Deno's message names the program, which may hold a secret (a whole command line given as
    // one program name): mask it, and the cause, which Deno prints with the error.
    const message = maskPassword(err instanceof Error ? err.message : String(err));
    throw new ProcessExecutionError({ cmd: display, description: message }, {
      cause: maskError(err),
    });
  }
}

/** Masks an error's message (and the message in its stack) in place. */
function maskError(err: unknown): unknown {
  if (err instanceof Error) {
    const masked = maskPassword(err.message);
    if (masked !== err.message) {
      if (err.stack !== undefined) err.stack = err.stack.replace(err.message, masked);
      err.message = masked;
    }
  }
  return err;
}

async function feed(
  stdin: WritableStream<Uint8Array>,
  input: Uint8Array | undefined,
): Promise<void> {
  try {
    if (input === undefined || input.length === 0) {
      await stdin.close();
    } else {
      const writer = stdin.getWriter();
      await writer.write(input);
      await writer.close();
    }
  } catch {
    // The child exited (or closed stdin) without reading it all: EPIPE, as communicate() ignores.
  }
}

let warnedScopedKill = false;

/** Signals the child's process group; `false` when only the child itself could be signalled. */
function killGroup(child: Deno.ChildProcess, signal: Deno.Signal): boolean {
  let grouped = false;
  try {
    Deno.kill(-child.pid, signal);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable && !warnedScopedKill) {
      warnedScopedKill = true;
      getLogger().warning(
        "Cannot signal a child's process group as Deno.kill() needs --allow-run without a " +
          "program list: only the child itself is killed, its descendants may keep running",
      );
    }
    // Otherwise ESRCH: every member of the group has exited, or the setsid wrapper has not
    // called setsid() yet (the timeout fired right after the spawn). Signal the child itself.
    grouped = !(err instanceof Deno.errors.NotCapable);
  }
  try {
    child.kill(signal);
  } catch {
    // Already exited.
  }
  return grouped;
}

/** The child's exit status and output, as `Deno.ChildProcess.output()` gives them. */
interface Output {
  code: number;
  signal: Deno.Signal | null;
  stdout: Uint8Array;
  stderr: Uint8Array;
}

/** Reads a stream to its end, or to `reader.cancel()` (then with what arrived so far). */
async function collect(
  stream: ReadableStream<Uint8Array>,
  readers: ReadableStreamDefaultReader<Uint8Array>[],
): Promise<Uint8Array> {
  const reader = stream.getReader();
  readers.push(reader);
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } finally {
    reader.releaseLock();
  }
  if (chunks.length === 1) return chunks[0]!;
  const all = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.length;
  }
  return all;
}

async function attempt(p: Plan): Promise<ExecuteResult | ExecuteBinaryResult> {
  const { options, clock } = p;
  const { signal, timeout, onExecute, onCompletion } = options;
  const log = getLogger();
  const grouped = signal !== undefined || (timeout !== undefined && timeout !== Infinity);
  const started = clock.now();
  const { child, display, setsid } = spawn(p, grouped);

  let stopped: "timeout" | "abort" | undefined;
  let killing: Promise<void> | undefined;
  let cancelTimer: AbortController | undefined;
  let onAbort: (() => void) | undefined;
  let out: Output;
  try {
    if (onExecute !== undefined) {
      try {
        onExecute(child);
      } catch (err) {
        if (grouped) killGroup(child, "SIGKILL");
        else child.kill("SIGKILL");
        await Promise.allSettled([
          child.stdin.close(),
          child.stdout.cancel(),
          child.stderr.cancel(),
        ]);
        await child.status;
        throw err;
      }
    }
    // The grouped path reads the pipes itself so it can stop reading after a kill; the default
    // path keeps Deno's output() (one less layer on the hot path).
    const readers: ReadableStreamDefaultReader<Uint8Array>[] = [];
    let collecting: Promise<[Deno.CommandStatus, Uint8Array, Uint8Array, void]> | undefined;
    if (grouped) {
      collecting = Promise.all([
        child.status,
        collect(child.stdout, readers),
        collect(child.stderr, readers),
        feed(child.stdin, p.input),
      ]);
      const stop = (why: "timeout" | "abort"): void => {
        if (stopped !== undefined) return;
        stopped = why;
        killing = (async () => {
          killGroup(child, "SIGTERM");
          let grace = new AbortController();
          await Promise.race([
            child.status,
            clock.sleep(KILL_GRACE_MS, { signal: grace.signal }).catch(() => {}),
          ]);
          grace.abort();
          // Also when the child is gone: descendants that ignored SIGTERM may still hold the pipes.
          const wholeGroup = killGroup(child, "SIGKILL");
          await child.status;
          if (wholeGroup) {
            // The pipes close once the group is dead; a descendant that left the group (its own
            // setsid) may hold them longer: stop reading after another grace period.
            grace = new AbortController();
            await Promise.race([
              collecting,
              clock.sleep(KILL_GRACE_MS, { signal: grace.signal }).catch(() => {}),
            ]);
            grace.abort();
          }
          for (const reader of readers) reader.cancel().catch(() => {});
        })();
      };
      if (timeout !== undefined && timeout !== Infinity) {
        cancelTimer = new AbortController();
        clock.sleep(timeout, { signal: cancelTimer.signal }).then(() => stop("timeout"), () => {});
      }
      if (signal !== undefined) {
        onAbort = () => stop("abort");
        signal.addEventListener("abort", onAbort, { once: true });
        // Aborted during onExecute: the event has already fired.
        if (signal.aborted) stop("abort");
      }
    }
    try {
      if (grouped) {
        const [status, stdout, stderr] = await collecting!;
        out = { code: status.code, signal: status.signal, stdout, stderr };
      } else {
        [out] = await Promise.all([child.output(), feed(child.stdin, p.input)]);
      }
    } finally {
      cancelTimer?.abort();
      if (onAbort !== undefined) signal!.removeEventListener("abort", onAbort);
      await killing;
    }
  } finally {
    onCompletion?.(child);
  }

  const seconds = ((clock.now() - started) / 1000).toFixed(3);
  if (stopped === "timeout") {
    log.debug(`CMD "${display}" reached timeout in ${seconds}s`);
    throw new ProcessTimeoutError(display, timeout!);
  }
  if (stopped === "abort") {
    log.debug(`CMD "${display}" aborted in ${seconds}s`);
    throw signal!.reason;
  }
  const notStarted = setsid && out.signal === null
    ? setsidExecError(out.code, out.stderr)
    : undefined;
  if (notStarted !== undefined) {
    const shownProgram = maskPassword(p.argv[0]!);
    log.debug(`CMD "${display}" could not start: ${notStarted.message}`);
    throw new ProcessExecutionError(
      { cmd: display, description: `Failed to spawn '${shownProgram}': ${notStarted.message}` },
      { cause: notStarted },
    );
  }
  const exitCode = out.signal === null ? out.code : -signalNumber(out.signal, out.code);
  log.debug(`CMD "${display}" returned: ${exitCode} in ${seconds}s`);
  if (p.allowed !== undefined && !p.allowed(exitCode)) {
    throw new ProcessExecutionError({
      exitCode,
      signal: out.signal ?? undefined,
      stdout: maskPassword(decoder.decode(out.stdout)),
      stderr: maskPassword(decoder.decode(out.stderr)),
      cmd: display,
    });
  }
  if (p.binary) return { stdout: out.stdout, stderr: out.stderr };
  return { stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}
