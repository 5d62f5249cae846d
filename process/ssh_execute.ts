/**
 * Running a command on another host over the system `ssh` client, after oslo.concurrency's
 * `processutils.ssh_execute`.
 *
 * @module
 */

import type { Clock } from "../runtime/clock.ts";
import { describeValue } from "../runtime/_describe.ts";
import { checkBooleanOption, checkKnownKeys } from "../runtime/_check_options.ts";
import { ProcessExecutionError } from "./errors.ts";
import type { ExecuteBinaryResult, ExecuteLogLevel, ExecuteResult } from "./execute.ts";
import { maskPassword } from "./mask_password.ts";
import { decodeOutput, fsdecode, fsencode } from "./_fs_codec.ts";
import { plan, runPlan } from "./_plan.ts";

/**
 * Options for {@linkcode sshExecute}. Every one is optional.
 *
 * @example
 * ```ts
 * import type { SshExecuteOptions } from "@fjord/fjord/process";
 * import assert from "node:assert/strict";
 *
 * const options: SshExecuteOptions = {
 *   sshArgs: ["-p", "2222", "-i", "/etc/fjord/id_ed25519"],
 *   timeout: 30_000,
 *   checkExitCode: [0, 3],
 * };
 * assert.equal(options.sshArgs?.length, 4);
 * ```
 */
export interface SshExecuteOptions {
  /**
   * Arguments for the ssh client, placed before fjord's own `-o BatchMode=yes` (ssh keeps the
   * first value of an option, so yours win), e.g. `["-p", "2222", "-i", key]`. @default {[]}
   */
  sshArgs?: string[];
  /** The ssh client program, looked up in `PATH` when it has no slash. @default {"ssh"} */
  sshCommand?: string;
  /** Written to the remote command's stdin through ssh, which is then closed. */
  input?: string | Uint8Array;
  /**
   * Which exit codes succeed, as for `execute`: `true` → `[0]`, `false` → any, a number or a
   * list. Default `[0]`.
   */
  checkExitCode?: boolean | number | number[];
  /** Resolve with bytes instead of strings; masking keeps every byte outside a secret. */
  binary?: boolean;
  /** Milliseconds before the ssh client (and its process group) is killed. */
  timeout?: number;
  /** Aborting kills the ssh client like `timeout` and rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** Mask secrets in the returned stdout (oslo's `sanitize_stdout`). stderr is always masked. */
  sanitizeStdout?: boolean;
  /** The level of the call's log lines. Default `"debug"`. */
  loglevel?: ExecuteLogLevel;
  /** The clock for the timeout and the kill grace period (tests). */
  clock?: Clock;
}

// Checked against SshExecuteOptions by the type checker.
const SSH_KEYS = Object.keys(
  {
    sshArgs: true,
    sshCommand: true,
    input: true,
    checkExitCode: true,
    binary: true,
    timeout: true,
    signal: true,
    sanitizeStdout: true,
    loglevel: true,
    clock: true,
  } satisfies Record<keyof SshExecuteOptions, true>,
);

// ssh's own failures (connection refused, host key, authentication) exit 255.
const SSH_FAILURE = 255;

/**
 * `word` (at `index` in the command) quoted for the remote POSIX shell, which gets the command as
 * one string. The first word is quoted also when it holds "=" (unquoted, the shell reads FOO=bar
 * as an assignment and runs the next word) or is a shell keyword ("if"): the remote program must
 * get exactly these words.
 */
function shellQuote(word: string, index: number): string {
  const syntax = index === 0 && (word.includes("=") || KEYWORDS.has(word));
  return /^[\w@%+=:,./-]+$/.test(word) && !syntax ? word : `'${word.replaceAll("'", `'"'"'`)}'`;
}

// The reserved words a POSIX shell (and bash) reads as syntax in a command's first word, among
// those the unquoted pattern above lets through.
const KEYWORDS = new Set([
  "case",
  "coproc",
  "do",
  "done",
  "elif",
  "else",
  "esac",
  "fi",
  "for",
  "function",
  "if",
  "in",
  "select",
  "then",
  "time",
  "until",
  "while",
]);

function fail(param: string, must: string, value: unknown): never {
  throw new TypeError(
    `Cannot ssh execute as '${param}' must be ${must}: current value is ${describeValue(value)}`,
  );
}

/**
 * Runs `cmd` on `destination` through the system `ssh` client (`Deno.Command`), like
 * oslo.concurrency's `processutils.ssh_execute` does with a paramiko client.
 *
 * The client runs as `<sshCommand> <sshArgs…> -o BatchMode=yes -- <destination> <command>`:
 * BatchMode makes a missing key fail at once instead of prompting. A string `cmd` is sent as is
 * and interpreted by the remote shell; an array is quoted word by word so the remote program
 * gets exactly these arguments. It goes through the same machinery as `execute`: the command line
 * in logs (`Running cmd (SSH): …`, at `loglevel`) and errors is masked with `maskPassword`, a bad
 * exit code rejects with {@linkcode ProcessExecutionError} (masked stdout and stderr; exit code
 * 255, ssh's own failures, says so), and `timeout` / `signal` kill the client's process group
 * (SIGTERM, then SIGKILL) and reject with `ProcessTimeoutError` / `signal.reason`. A remote
 * command outlives a killed client unless the remote side notices the closed connection.
 * As in oslo, stderr is always returned masked, stdout too unless `sanitizeStdout: false`;
 * there is no retry and no `env` (oslo rejects `addl_env`; pass variables in the command).
 *
 * Needs `--allow-run` for the ssh client.
 *
 * @param destination `[user@]host`, as ssh takes it; must not start with `-`.
 * @param cmd The remote command line, or the program and its arguments.
 * @param options `binary: true` resolves with bytes; see {@linkcode SshExecuteOptions}.
 * @returns The remote command's stdout and stderr (masked as described).
 * @throws {TypeError} When `destination` or `cmd` is empty, holds NUL, `destination` starts
 *   with `-`, `env` is given, or an option has the wrong type.
 * @throws {RangeError} When `timeout <= 0` or NaN, or `checkExitCode` is a non-integer number.
 * @throws {ProcessExecutionError} (rejection) A bad exit code, or the ssh client cannot start.
 * @throws {ProcessTimeoutError} (rejection) The timeout expired; the client was killed.
 *
 * @example With a stand-in `ssh` that runs the command locally
 * ```ts
 * import { sshExecute } from "@fjord/fjord/process";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const fake = `${dir}/ssh`;
 * // Skips ssh's options up to `--`, then the destination, and runs the command with sh.
 * await Deno.writeTextFile(fake, '#!/bin/sh\nwhile [ "$1" != "--" ]; do shift; done\nshift 2\nexec sh -c "$1"\n');
 * await Deno.chmod(fake, 0o755);
 * const { stdout } = await sshExecute("db1.example", ["echo", "password=x y"], { sshCommand: fake });
 * assert.equal(stdout, "password=*** y\n");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function sshExecute(
  destination: string,
  cmd: string | string[],
  options: SshExecuteOptions & { binary: true },
): Promise<ExecuteBinaryResult>;
/**
 * Runs `cmd` on `destination` through the system `ssh` client and resolves with decoded
 * output; see the `binary: true` overload for the full description.
 *
 * @param destination `[user@]host`, as ssh takes it; must not start with `-`.
 * @param cmd The remote command line, or the program and its arguments.
 * @param options See {@linkcode SshExecuteOptions}.
 * @returns The remote command's stdout and stderr as strings (masked as described).
 * @throws {TypeError} When an argument is malformed (see the other overload).
 *
 * @example A missing ssh client is a ProcessExecutionError with the OS error as cause
 * ```ts
 * import { ProcessExecutionError, sshExecute } from "@fjord/fjord/process";
 * import assert from "node:assert/strict";
 *
 * await assert.rejects(
 *   sshExecute("host", "uptime", { sshCommand: "/nonexistent/ssh" }),
 *   (e) => e instanceof ProcessExecutionError && e.cause instanceof Deno.errors.NotFound,
 * );
 * ```
 */
export function sshExecute(
  destination: string,
  cmd: string | string[],
  options?: SshExecuteOptions,
): Promise<ExecuteResult>;
/** @ignore The implementation signature; callers see the two overloads above. */
export function sshExecute(
  destination: string,
  cmd: string | string[],
  options: SshExecuteOptions = {},
): Promise<ExecuteResult | ExecuteBinaryResult> {
  if (typeof options !== "object" || options === null) fail("options", "an object", options);
  if (typeof destination !== "string" || destination === "") {
    fail("destination", "a non-empty string", destination);
  }
  if (destination.startsWith("-") || /[\0\s]/.test(destination)) {
    fail("destination", "a host without a leading '-', whitespace or NUL", destination);
  }
  let remote: string;
  if (typeof cmd === "string") {
    remote = cmd;
  } else if (Array.isArray(cmd) && cmd.every((w) => typeof w === "string")) {
    remote = cmd.map((word, i) => shellQuote(word, i)).join(" ");
  } else {
    return fail("cmd", "a string or an array of strings", cmd);
  }
  if (remote.trim() === "") fail("cmd", "a non-empty command", cmd);
  if ("env" in options) {
    throw new TypeError(
      "Cannot ssh execute as 'env' is not supported over SSH (as in oslo): set variables in the " +
        "command instead",
    );
  }
  // execute()'s other options (attempts, cwd, shell, runAsRoot, prlimit, …) were ignored
  // without a word: no retry, no working directory.
  checkKnownKeys(options, "ssh execute", "options", SSH_KEYS);
  const {
    sshArgs = [],
    sshCommand = "ssh",
    sanitizeStdout = true,
    binary = false,
    signal,
  } = options;
  if (!Array.isArray(sshArgs) || sshArgs.some((a) => typeof a !== "string")) {
    fail("sshArgs", "an array of strings", sshArgs);
  }
  if (typeof sshCommand !== "string" || sshCommand === "") {
    fail("sshCommand", "a non-empty string", sshCommand);
  }
  checkBooleanOption(sanitizeStdout, "ssh execute", "sanitizeStdout");
  checkBooleanOption(binary, "ssh execute", "binary");
  const argv = [sshCommand, ...sshArgs, "-o", "BatchMode=yes", "--", destination, remote];
  // plan() checks the rest (NUL in any word, timeout, signal, input, checkExitCode, loglevel).
  const p = plan(argv, {
    ...(options.input !== undefined && { input: options.input }),
    ...(options.checkExitCode !== undefined && { checkExitCode: options.checkExitCode }),
    ...(options.timeout !== undefined && { timeout: options.timeout }),
    ...(signal !== undefined && { signal }),
    ...(options.loglevel !== undefined && { loglevel: options.loglevel }),
    ...(options.clock !== undefined && { clock: options.clock }),
    binary: true,
  }, "SSH");
  if (signal?.aborted) return Promise.reject(signal.reason);
  return finish(runPlan(p) as Promise<ExecuteBinaryResult>, binary, sanitizeStdout);
}

async function finish(
  running: Promise<ExecuteBinaryResult>,
  binary: boolean,
  sanitizeStdout: boolean,
): Promise<ExecuteResult | ExecuteBinaryResult> {
  let out: ExecuteBinaryResult;
  try {
    out = await running;
  } catch (err) {
    if (err instanceof ProcessExecutionError && err.exitCode === SSH_FAILURE) {
      throw new ProcessExecutionError({
        exitCode: err.exitCode,
        signal: err.signal,
        stdout: err.stdout,
        stderr: err.stderr,
        cmd: err.cmd,
        description: "ssh exited with 255: the connection or login failed, or the remote " +
          "command exited with 255 (see Stderr).",
      }, { cause: err });
    }
    throw err;
  }
  if (binary) {
    return {
      stdout: sanitizeStdout ? fsencode(maskPassword(fsdecode(out.stdout))) : out.stdout,
      stderr: fsencode(maskPassword(fsdecode(out.stderr))),
    };
  }
  const stdout = decodeOutput(out.stdout);
  return {
    stdout: sanitizeStdout ? maskPassword(stdout) : stdout,
    stderr: maskPassword(decodeOutput(out.stderr)),
  };
}
