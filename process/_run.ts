// The machinery behind execute() and sshExecute(): spawning with the setsid / prlimit wrappers,
// feeding stdin, collecting output, timeouts and aborts that kill the process group, exit-code
// checks and retries. Loaded at the first run (the checks are in _plan.ts).

import { getLogger } from "../runtime/logger.ts";
import { ProcessExecutionError, ProcessTimeoutError } from "./errors.ts";
import type { ExecuteBinaryResult, ExecuteResult } from "./execute.ts";
import { LogErrors } from "./log_errors.ts";
import { maskPassword } from "./mask_password.ts";
import { decodeOutput } from "./_fs_codec.ts";
import { prlimitAvailable, prlimitPrefix, setPrlimitAvailable, ulimitPrefix } from "./_prlimit.ts";
import { pyRepr } from "./_repr.ts";
import { setSetsidAvailable, setsidAvailable, setsidExecError } from "./_setsid.ts";
import { signalNumber } from "./_signals.ts";
import { resolveForWrapper } from "./_which.ts";
import type { Plan } from "./_plan.ts";

const KILL_GRACE_MS = 2000;

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

export async function run(p: Plan): Promise<ExecuteResult | ExecuteBinaryResult> {
  const log = p.log;
  for (let left = p.attempts - 1;; left--) {
    try {
      return await attempt(p);
    } catch (err) {
      if (!(err instanceof ProcessExecutionError)) throw err;
      if (p.logErrors === LogErrors.ALL || (p.logErrors === LogErrors.FINAL && left === 0)) {
        log(dump(err));
      }
      if (left === 0) {
        log(`${pyRepr(err.cmd)} failed. Not Retrying.`);
        throw err;
      }
      log(`${pyRepr(err.cmd)} failed. Retrying.`);
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
  p.log(`Running cmd (${p.label}): ${display}`);
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
    const message = maskPassword(err instanceof Error ? err.message : String(err)) +
      (err instanceof Deno.errors.NotFound ? spacedHint(p) : "");
    throw new ProcessExecutionError({ cmd: display, description: message }, {
      cause: maskError(err),
    });
  }
}

/**
 * For a program that was not found: when its name has a space and no shell was asked for, the
 * caller most likely meant a command line (`execute("ls -la")`).
 */
function spacedHint(p: Plan): string {
  return p.spacedProgram ? ": pass arguments as separate strings, or set shell: true" : "";
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
  const log = p.log;
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
    log(`CMD "${display}" reached timeout in ${seconds}s`);
    throw new ProcessTimeoutError(display, timeout!);
  }
  if (stopped === "abort") {
    log(`CMD "${display}" aborted in ${seconds}s`);
    throw signal!.reason;
  }
  const notStarted = setsid && out.signal === null
    ? setsidExecError(out.code, out.stderr)
    : undefined;
  if (notStarted !== undefined) {
    const shownProgram = maskPassword(p.argv[0]!);
    log(`CMD "${display}" could not start: ${notStarted.message}`);
    throw new ProcessExecutionError(
      {
        cmd: display,
        description: `Failed to spawn '${shownProgram}': ${notStarted.message}` +
          (notStarted instanceof Deno.errors.NotFound ? spacedHint(p) : ""),
      },
      { cause: notStarted },
    );
  }
  const exitCode = out.signal === null ? out.code : -signalNumber(out.signal, out.code);
  log(`CMD "${display}" returned: ${exitCode} in ${seconds}s`);
  if (p.allowed !== undefined && !p.allowed(exitCode)) {
    throw new ProcessExecutionError({
      exitCode,
      signal: out.signal ?? undefined,
      stdout: maskPassword(decodeOutput(out.stdout)),
      stderr: maskPassword(decodeOutput(out.stderr)),
      cmd: display,
    });
  }
  if (p.binary) return { stdout: out.stdout, stderr: out.stderr };
  return { stdout: decodeOutput(out.stdout), stderr: decodeOutput(out.stderr) };
}
