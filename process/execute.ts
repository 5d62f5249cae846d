/**
 * {@linkcode execute}: run a command, oslo.concurrency `processutils.execute` style.
 *
 * @module
 */

import type { Clock } from "../runtime/clock.ts";
import type { LogErrors } from "./log_errors.ts";
import type { ProcessLimits } from "./process_limits.ts";
import { plan, runPlan } from "./_plan.ts";

/**
 * A level of fjord's logger, for {@linkcode ExecuteOptions.loglevel}.
 *
 * @example Failed attempts dumped at warning level
 * ```ts
 * import { execute, type ExecuteLogLevel, LogErrors } from "@fjord/fjord/process";
 * import assert from "node:assert/strict";
 *
 * const loglevel: ExecuteLogLevel = "warning";
 * const result = await execute(["sh", "-c", "exit 1"], {
 *   checkExitCode: false,
 *   loglevel,
 *   logErrors: LogErrors.ALL,
 * });
 * assert.equal(result.stdout, "");
 * ```
 */
export type ExecuteLogLevel = "debug" | "info" | "warning" | "error";

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
  /**
   * The child's whole environment, a plain object of names to values: it **replaces** the
   * parent's (oslo semantics).
   */
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
  /**
   * Which failed attempts to dump to the log, at `loglevel`: `DEFAULT` none, `ALL` every one,
   * `FINAL` the last. Default `LogErrors.DEFAULT`.
   */
  logErrors?: LogErrors;
  /**
   * The level of every log line of the call (`Running cmd …`, `CMD … returned …`, retries and
   * the `logErrors` dumps), as oslo's `loglevel`. Default `"debug"`.
   */
  loglevel?: ExecuteLogLevel;
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

/**
 * Runs a command and resolves with its output, like oslo.concurrency's `processutils.execute`.
 *
 * An array command runs directly, never through a shell (but libc's `execvp`, under Deno, runs an
 * executable file without a `#!` line with `/bin/sh`). A string is one program name (never
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
 * logged once). Whether a child finished in time is judged by when Deno reports its exit, a few
 * event-loop turns after the child ended: a child that ends within about a millisecond of its
 * `timeout` (more on a busy machine) can still be reported as timed out. oslo's
 * `communicate(timeout)` has the same race; give a `timeout` with room to spare.
 *
 * The command line in logs and errors is the argv joined by spaces and masked with
 * {@linkcode maskPassword}; so are stdout and stderr inside errors. Successful output is returned
 * unmasked. Log lines (`Running cmd (subprocess): …`, `CMD "…" returned: 0 in 0.002s`, and the
 * `logErrors` dumps) go to `getLogger()` at `loglevel` (default debug), as in oslo.
 *
 * Bad arguments fail before anything is spawned: an `env` that is not a plain object, an `env`
 * name that is empty or contains `=` or NUL, a NUL in an `env` value, in `cmd` or in `cwd`, and an
 * empty `cwd` are TypeErrors. A string `cmd` with a space in it and no `shell` is still one
 * program name; when no such program exists the error says
 * "pass arguments as separate strings, or set shell: true".
 *
 * Needs `--allow-run` for the program (and for `/bin/sh`, `prlimit` or the root helper when
 * those options are used).
 *
 * @param cmd The program and its arguments, or one program name / shell script string.
 * @param options `binary: true` resolves with bytes instead of strings; see {@linkcode ExecuteOptions}.
 * @returns The child's stdout and stderr.
 * @throws {TypeError} When `cmd` or `cwd` is empty, `cmd` is not strings, an option has the wrong
 *   type (`attempts: "2"` included), an `env` name is empty or holds `=` or NUL, or `cmd`, `cwd`
 *   or an `env` value holds NUL.
 * @throws {RangeError} When `attempts < 1`, `timeout <= 0` or NaN, an exit code or a limit is
 *   not an integer (>= 0 for a limit), or `logErrors` or `loglevel` is unknown.
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
 * @throws {TypeError} When `cmd` is empty or not strings, an option has the wrong type, or an
 *   `env` name or any string holds a character the OS cannot pass (see the other overload).
 * @throws {RangeError} When `attempts < 1` or another numeric option is a number out of range.
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
  return runPlan(p);
}
