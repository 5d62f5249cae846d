/**
 * Errors raised by {@linkcode execute} and {@linkcode trycmd}.
 *
 * @module
 */

import { pyRepr } from "./_repr.ts";

/**
 * The facts a {@linkcode ProcessExecutionError} carries; every field is optional.
 *
 * @example
 * ```ts
 * import { ProcessExecutionError, type ProcessExecutionErrorInit } from "@fjord/fjord/process";
 * import assert from "node:assert/strict";
 *
 * const init: ProcessExecutionErrorInit = { cmd: "backup --all", exitCode: -9, signal: "SIGKILL" };
 * assert.equal(new ProcessExecutionError(init).signal, "SIGKILL");
 * ```
 */
export interface ProcessExecutionErrorInit {
  /** The command's exit code; minus the signal number when a signal killed it. */
  exitCode?: number | undefined;
  /** The signal that killed the command, if one did. */
  signal?: Deno.Signal | undefined;
  /** The command's standard output (masked when {@linkcode execute} raises). */
  stdout?: string;
  /** The command's standard error (masked when {@linkcode execute} raises). */
  stderr?: string;
  /** The command line, argv joined by spaces (masked when {@linkcode execute} raises). */
  cmd?: string;
  /** What went wrong; the message's first line. */
  description?: string | undefined;
}

const DEFAULT_DESCRIPTION = "Unexpected error while running command.";

/**
 * A command failed: it exited with a code the caller did not allow, a signal killed it, or it
 * could not be started (then `exitCode` is `undefined` and `cause` is the OS error).
 *
 * The message has oslo's five lines: the description (default
 * `Unexpected error while running command.`), `Command:`, `Exit code:` (`-` when there is none),
 * `Stdout:` and `Stderr:` (both as Python `repr` strings, e.g. `''`).
 *
 * @example
 * ```ts
 * import { ProcessExecutionError } from "@fjord/fjord/process";
 * import assert from "node:assert/strict";
 *
 * const err = new ProcessExecutionError({ cmd: "sh -c exit 1", exitCode: 1 });
 * assert.equal(
 *   err.message,
 *   "Unexpected error while running command.\nCommand: sh -c exit 1\nExit code: 1\nStdout: ''\nStderr: ''",
 * );
 * assert.equal(err.name, "ProcessExecutionError");
 * ```
 */
export class ProcessExecutionError extends Error {
  /** The exit code; minus the signal number when killed by a signal; `undefined` if never run. */
  readonly exitCode: number | undefined;
  /** The signal that killed the command, if one did. */
  readonly signal: Deno.Signal | undefined;
  /** The command's standard output. */
  readonly stdout: string;
  /** The command's standard error. */
  readonly stderr: string;
  /** The command line (argv joined by spaces, masked). */
  readonly cmd: string;
  /** What went wrong; `undefined` prints as `Unexpected error while running command.` */
  readonly description: string | undefined;

  /**
   * Creates the error from its facts.
   *
   * @param init The facts: exit code, signal, output, command line, description.
   * @param options `cause`: the underlying error (the OS error when the program did not start).
   */
  constructor(init: ProcessExecutionErrorInit = {}, options?: ErrorOptions) {
    const { exitCode, signal, stdout = "", stderr = "", cmd = "", description } = init;
    super(
      `${description ?? DEFAULT_DESCRIPTION}\nCommand: ${cmd}\nExit code: ${exitCode ?? "-"}` +
        `\nStdout: ${pyRepr(stdout)}\nStderr: ${pyRepr(stderr)}`,
      options,
    );
    this.name = "ProcessExecutionError";
    this.exitCode = exitCode;
    this.signal = signal;
    this.stdout = stdout;
    this.stderr = stderr;
    this.cmd = cmd;
    this.description = description;
  }
}

/**
 * A command ran past its `timeout`; {@linkcode execute} killed it (and its process group) before
 * rejecting with this error. Never retried.
 *
 * @example
 * ```ts
 * import { ProcessTimeoutError } from "@fjord/fjord/process";
 * import assert from "node:assert/strict";
 *
 * const err = new ProcessTimeoutError("sleep 30", 500);
 * assert.equal(err.message, "Command timed out after 500 ms: sleep 30");
 * assert.equal(err.timeout, 500);
 * ```
 */
export class ProcessTimeoutError extends Error {
  /** The command line (argv joined by spaces, masked). */
  readonly cmd: string;
  /** The timeout that expired, in milliseconds. */
  readonly timeout: number;

  /**
   * Creates the error from its facts.
   *
   * @param cmd The command line (masked).
   * @param timeout The timeout that expired, in milliseconds.
   * @param options `cause`, if any.
   */
  constructor(cmd: string, timeout: number, options?: ErrorOptions) {
    super(`Command timed out after ${timeout} ms: ${cmd}`, options);
    this.name = "ProcessTimeoutError";
    this.cmd = cmd;
    this.timeout = timeout;
  }
}

/**
 * `runAsRoot` was requested, fjord is not running as root, and no `rootHelper` was given.
 *
 * @example
 * ```ts
 * import { NoRootWrapSpecifiedError } from "@fjord/fjord/process";
 * import assert from "node:assert/strict";
 *
 * const err = new NoRootWrapSpecifiedError();
 * assert.equal(err.message, "Command requested root, but did not specify a root helper.");
 * ```
 */
export class NoRootWrapSpecifiedError extends Error {
  /**
   * Creates the error.
   *
   * @param message The message; oslo's text by default.
   */
  constructor(message = "Command requested root, but did not specify a root helper.") {
    super(message);
    this.name = "NoRootWrapSpecifiedError";
  }
}
