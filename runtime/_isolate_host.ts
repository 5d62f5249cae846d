// The isolate host: the one module that runs fjord code in another isolate, for launchers
// (services) and pools (tasks) alike. It starts a module Web Worker (through spawnFjordWorker) or
// a child `deno run` process of a program's entry module, exchanges messages with it (the guest
// side is _isolate_guest.ts, one envelope over postMessage or over length-prefixed v8 frames on
// the child's stdin/stdout, see _frames.ts), forwards its log records, and reports exactly once
// how it ended: from the guest's own end report (return, throw, unhandled rejection,
// `Deno.exit(n)`, `self.close()`) or from the outside (a signal, a V8 fatal error such as running
// out of memory, termination by the parent, a process that vanished without a word).
//
// A child's stdout carries the guest's frames between the user's own output, which is passed
// on to this process's stdout byte for byte; its stderr is inherited.

import { deserializeError } from "./_error_revive.ts";
import { fjordWorkerIsolateId, spawnFjordWorker, terminateFjordWorker } from "./_fjord_worker.ts";
import { type Codec, encodeFrame, FrameReader, JSON_CODEC } from "./_frames.ts";
import { watchOrphan } from "./_orphan_reaper.ts";
import { permitted } from "./_permitted.ts";
import { quietDelay } from "./_quiet_delay.ts";
import {
  type GuestEnd,
  type GuestEndCause,
  type GuestInit,
  K_END,
  K_EOF,
  K_INIT,
  K_LOG,
  K_MSG,
  type LogRecord,
} from "./_isolate_guest.ts";
import { selectedBackendType } from "./selection.ts";
import { getLogger } from "./logger.ts";

export type { LogRecord };

/** Why an isolate ended. */
export type IsolateExitCause =
  | GuestEndCause
  /** A child process was ended by a signal. */
  | "signal"
  /** A child process died of a V8 fatal error (SIGTRAP), nearly always running out of memory. */
  | "oom"
  /** The parent ended it (`kill()`). */
  | "terminated"
  /** A Web Worker's message could not be read, or a child exited without a report. */
  | "lost";

/** How an isolate ended. */
export interface IsolateExit {
  cause: IsolateExitCause;
  /** The exit code when there is one. */
  code: number | undefined;
  /** The signal that ended a child process. */
  signal: string | undefined;
  /** What it threw (throw, rejection), or the program's own error. */
  error: Error | undefined;
  /** What the program's onEnding hook sent (e.g. the tasks that died with it). */
  detail: unknown;
  /** For a log line: "called Deno.exit(3)", "was killed by SIGKILL", "threw TypeError: x". */
  reason: string;
}

/** How to start an isolate. */
export interface StartIsolateOptions<Out> {
  isolation: "worker" | "process";
  /** The program's entry module; it imports _isolate_guest.ts first and calls connectGuest(). */
  entry: URL;
  /** The program's init data (structured-cloneable). */
  data: unknown;
  /** The Worker's name. */
  name?: string;
  /** Process isolation: the `deno` executable and the flags before the entry module. */
  denoPath?: string;
  denoArgs?: readonly string[];
  /**
   * Process isolation: how messages are encoded (default JSON). Pass node:v8 to move arbitrary
   * structured-cloneable values; the guest must connect with the same codec.
   */
  codec?: Codec;
  /** Each program message from the guest. */
  onMessage(msg: Out): void;
  /** Each log record the guest forwards. Default: dropped. */
  onLog?(record: LogRecord): void;
  /**
   * Process isolation: keep the last this many bytes the child writes to stderr (still passed
   * on to this process's stderr), for `IsolateHandle.stderrTail()`. Default 0: inherited.
   */
  stderrTail?: number;
  /**
   * Process isolation: the kernel SIGKILLs the child when this process dies, even while the
   * child is stuck in a synchronous loop (Linux `PR_SET_PDEATHSIG` through util-linux
   * `setpriv`, when it is installed; otherwise through the orphan reaper below, within ~1 s).
   */
  exitWithParent?: boolean;
  /**
   * Process isolation: when this process dies without ending the child, the child is SIGKILLed
   * if it still runs this many ms later (rounded up to whole seconds), as one stuck in a
   * synchronous loop would: it cannot act on its stdin's end (Linux, with permission to run
   * /bin/sh: see _orphan_reaper.ts). Default: it is left to act on its stdin's end.
   */
  orphanGraceMs?: number;
}

/** A running isolate. */
export interface IsolateHandle<In> {
  readonly isolation: "worker" | "process";
  /** The child's pid (process isolation). */
  readonly pid: number | undefined;
  /** The Worker's isolate id (worker isolation). */
  readonly isolateId: number | undefined;
  /** False once it has ended. */
  readonly alive: boolean;
  /**
   * Resolves as soon as it is known to have ended, before `exited`: a child's last output may
   * still be draining (a supervisor can start a replacement meanwhile).
   */
  readonly gone: Promise<void>;
  /** Resolves once, when it has ended (and its resources are released). */
  readonly exited: Promise<IsolateExit>;
  /** Sends a program message; throws a DataCloneError synchronously when it cannot be cloned. */
  post(msg: In, transfer?: Transferable[]): void;
  /** Tells the guest nothing more will come (its onInputEnd runs). */
  closeInput(): void;
  /** Ends it at once. */
  kill(): void;
  /** Whether it keeps this process alive (a child can be unref'd; a Worker always does). */
  setActive(active: boolean): void;
  /** The last bytes the child wrote to stderr (see `stderrTail`), decoded; "" otherwise. */
  stderrTail(): string;
}

/** Describes an end for the log. */
export function describeExit(
  cause: IsolateExitCause,
  code: number | undefined,
  signal: string | undefined,
  error: Error | undefined,
): string {
  const what = error === undefined ? "" : `${error.name}: ${error.message}`;
  switch (cause) {
    case "return":
      return `exited with status ${code ?? 0}${what === "" ? "" : ` (${what})`}`;
    case "throw":
      return `threw ${what} (uncaught)`;
    case "rejection":
      return `had an unhandled rejection: ${what}`;
    case "exit":
      return `exited with status ${code ?? 0} (Deno.exit(${code ?? ""}) was called)`;
    case "close":
      return "called self.close()";
    case "signal":
      return `was killed by signal ${signal}`;
    case "oom":
      return `crashed with ${signal} (out of memory or a V8 fatal error)`;
    case "terminated":
      return signal === undefined ? "was terminated" : `was killed by signal ${signal}`;
    case "lost":
      return code === undefined
        ? `was lost${what === "" ? "" : ` (${what})`}`
        : `exited with status ${code} without a word`;
  }
}

function exitOf(
  cause: IsolateExitCause,
  code: number | undefined,
  signal: string | undefined,
  error: Error | undefined,
  detail: unknown = undefined,
): IsolateExit {
  return { cause, code, signal, error, detail, reason: describeExit(cause, code, signal, error) };
}

function fromGuest(end: GuestEnd): IsolateExit {
  const error = end.error === undefined ? undefined : deserializeError(end.error);
  return exitOf(end.cause, end.code, undefined, error, end.detail);
}

/** Starts an isolate running `options.entry`. */
export function startIsolate<In, Out>(options: StartIsolateOptions<Out>): IsolateHandle<In> {
  return options.isolation === "worker"
    ? startWorker<In, Out>(options)
    : startProcess<In, Out>(options);
}

// Returns whether `envelope` was one of the guest's: a Web Worker's own code can post anything
// to its parent (self.postMessage), which must not reach the handlers.
function dispatch<Out>(
  options: StartIsolateOptions<Out>,
  envelope: unknown,
  onEnd: (end: GuestEnd) => void,
): boolean {
  if (!Array.isArray(envelope) || envelope.length !== 2) return false;
  const [kind, body] = envelope as [unknown, unknown];
  if (kind === K_MSG) options.onMessage(body as Out);
  else if (kind === K_LOG) options.onLog?.(body as LogRecord);
  else if (kind === K_END) onEnd(body as GuestEnd);
  else return false;
  return true;
}

function startWorker<In, Out>(options: StartIsolateOptions<Out>): IsolateHandle<In> {
  const gone = Promise.withResolvers<void>();
  const exited = Promise.withResolvers<IsolateExit>();
  let worker: Worker | undefined = spawnFjordWorker(options.entry, {
    ...(options.name !== undefined ? { name: options.name } : {}),
    data: options.data,
  });
  const isolateId = fjordWorkerIsolateId(worker);
  // Drops every reference to the Worker and its listeners: a dead Worker must leave nothing.
  const finish = (exit: IsolateExit): void => {
    const w = worker;
    if (w === undefined) return;
    worker = undefined;
    w.onmessage = null;
    w.onmessageerror = null;
    w.onerror = null;
    gone.resolve();
    // Terminated after what waited for `gone` ran (reactions run in the order they were
    // registered): a supervisor starts the replacement first, and terminate() can take ms.
    void gone.promise.then(() => {
      terminateFjordWorker(w);
      exited.resolve(exit);
    });
  };
  let warned = false;
  worker.onmessage = (event: MessageEvent) => {
    try {
      if (dispatch(options, event.data, (end) => finish(fromGuest(end))) || warned) return;
      warned = true;
      getLogger().warning(
        `Ignoring a message that did not come from fjord in Web Worker ${
          options.name ?? options.entry.href
        }: code running there called postMessage() (reported once per Worker)`,
      );
    } catch (error) {
      // A message shaped like the guest's but not one of its (or a handler's bug): thrown here,
      // it would end this whole process. The Worker is ended instead, and reported lost.
      const why = new Error("it sent a message fjord could not handle", { cause: error });
      finish(exitOf("lost", undefined, undefined, why));
    }
  };
  worker.onerror = (event: ErrorEvent) => {
    // Handled here: an error in a worker must not take this isolate down. The guest reports
    // uncaught errors itself; this one came before it could (its module failed to load).
    event.preventDefault();
    finish(exitOf("throw", 1, undefined, new Error(event.message)));
  };
  worker.onmessageerror = () => {
    finish(exitOf("lost", undefined, undefined, new Error("it sent an unreadable message")));
  };
  return {
    isolation: "worker",
    pid: undefined,
    isolateId,
    get alive(): boolean {
      return worker !== undefined;
    },
    gone: gone.promise,
    exited: exited.promise,
    post(msg: In, transfer?: Transferable[]): void {
      worker?.postMessage([K_MSG, msg], transfer ?? []);
    },
    closeInput(): void {
      worker?.postMessage([K_EOF]);
    },
    kill(): void {
      finish(exitOf("terminated", undefined, undefined, undefined));
    },
    setActive(): void {},
    stderrTail: () => "",
  };
}

let setprivPath: string | null | undefined;

// util-linux `setpriv`, which can set the parent-death signal before exec'ing deno.
function setpriv(): string | null {
  if (setprivPath !== undefined) return setprivPath;
  setprivPath = null;
  if (Deno.build.os !== "linux") return null;
  for (const path of ["/usr/bin/setpriv", "/bin/setpriv"]) {
    // Not looked for without read permission for it (Deno would prompt at a terminal), nor used
    // without run permission for it (a scoped --allow-run=<deno> would refuse every spawn).
    if (!permitted({ name: "read", path }) || !permitted({ name: "run", command: path })) continue;
    try {
      if (Deno.statSync(path).isFile) return setprivPath = path;
    } catch {
      // Not there: try the next one.
    }
  }
  return null;
}

// Passes a child's stderr on to ours while keeping its last `max` bytes.
function tailStderr(
  stream: ReadableStream<Uint8Array>,
  max: number,
): { tail: () => string; done: Promise<void> } {
  let tail = new Uint8Array(0);
  const done = (async () => {
    try {
      for await (const chunk of stream) {
        let off = 0;
        while (off < chunk.byteLength) {
          off += await Deno.stderr.write(chunk.subarray(off)).catch(() => chunk.byteLength);
        }
        const joined = new Uint8Array(Math.min(max, tail.byteLength + chunk.byteLength));
        const keepOld = joined.byteLength - Math.min(chunk.byteLength, joined.byteLength);
        joined.set(tail.subarray(tail.byteLength - keepOld), 0);
        joined.set(chunk.subarray(chunk.byteLength - (joined.byteLength - keepOld)), keepOld);
        tail = joined;
      }
    } catch {
      // The pipe broke: the child is gone.
    }
  })();
  return { tail: () => new TextDecoder().decode(tail), done };
}

// Bounds the wait for a dead child's last frames: a grandchild may hold its stdout open.
const DRAIN_MS = 200;
// How many bytes of a child's output may wait for this process's stdout before it is read no more.
const MAX_UNWRITTEN = 1 << 20;

function startProcess<In, Out>(options: StartIsolateOptions<Out>): IsolateHandle<In> {
  const deno = options.denoPath ?? Deno.execPath();
  const args = ["run", ...(options.denoArgs ?? []), options.entry.href];
  const wrapper = options.exitWithParent ? setpriv() : null;
  const tailBytes = options.stderrTail ?? 0;
  const child = new Deno.Command(wrapper ?? deno, {
    args: wrapper === null ? args : ["--pdeathsig", "SIGKILL", "--", deno, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: tailBytes > 0 ? "piped" : "inherit",
  }).spawn();
  const orphanGraceMs = wrapper === null && options.exitWithParent ? 0 : options.orphanGraceMs;
  const unwatch = orphanGraceMs === undefined ? undefined : watchOrphan(child.pid, orphanGraceMs);
  const stderr = tailBytes > 0 ? tailStderr(child.stderr, tailBytes) : undefined;
  const stderrTail = stderr?.tail ?? ((): string => "");
  const writer = child.stdin.getWriter();
  const codec = options.codec ?? JSON_CODEC;
  const write = (envelope: unknown): void => {
    writer.write(encodeFrame(envelope, codec)).catch(() => {});
  };
  const init: GuestInit = { backend: selectedBackendType(), data: options.data };
  write([K_INIT, init]);
  let alive = true;
  let ended: GuestEnd | undefined;
  const pump = (async () => {
    const reader = new FrameReader(codec);
    // In order, one write after another: the user's output must reach stdout as it was written.
    let writing: Promise<void> = Promise.resolve();
    let unwritten = 0;
    const pass = (bytes: Uint8Array): void => {
      const copy = bytes.slice(); // the reader's buffer is reused once we return
      unwritten += copy.byteLength;
      writing = writing.then(() => writeAll(copy)).catch(() => {}).finally(() => {
        unwritten -= copy.byteLength;
      });
    };
    try {
      // A default reader: each read gets a fresh 64 KiB buffer. A BYOB reader into one reused
      // buffer cut a busy pool parent's CPU per message by a third (fewer fresh pages to fault
      // in), but those short-lived buffers are what make V8 collect the parent's heap: without
      // them the pool-memory chaos scenario's RSS grew 50 MB after warm-up (measured).
      for await (const chunk of child.stdout) {
        reader.push(chunk, pass, (envelope) => dispatch(options, envelope, (e) => ended = e));
        // Our stdout is slower than the child writes (a slow pipe, a stopped reader): read no
        // more until it drains, so the child blocks in its writes instead of this process
        // buffering its output without bound (measured: +30 MB/s).
        if (unwritten > MAX_UNWRITTEN) await writing;
      }
    } catch {
      // The pipe broke or a frame could not be decoded: the child cannot be talked to any more.
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
    }
    const rest = reader.rest();
    if (rest.byteLength > 0) pass(rest);
    await writing;
  })();
  // Settled before `exited` starts its drain wait: a supervisor starts the replacement from it.
  const gone = child.status.then(() => unwatch?.());
  const exited = child.status.then(async (status) => {
    // Not a setTimeout: a process's first timer costs several ms, here on a respawn's path.
    const drain = quietDelay(DRAIN_MS);
    await Promise.race([Promise.all([pump, stderr?.done]), drain.promise]);
    drain.cancel();
    alive = false;
    void writer.close().catch(() => {});
    if (status.signal !== null) {
      const cause = status.signal === "SIGTRAP" ? "oom" : killed ? "terminated" : "signal";
      return exitOf(cause, undefined, status.signal, undefined, ended?.detail);
    }
    if (ended !== undefined) return fromGuest({ ...ended, code: status.code });
    return exitOf(status.code === 0 ? "return" : "lost", status.code, undefined, undefined);
  });
  let killed = false;
  return {
    isolation: "process",
    pid: child.pid,
    isolateId: undefined,
    get alive(): boolean {
      return alive;
    },
    gone,
    exited,
    post(msg: In): void {
      // Encoded now, so a clone failure throws here as postMessage would.
      const frame = encodeFrame([K_MSG, msg], codec);
      if (alive) writer.write(frame).catch(() => {});
    },
    closeInput(): void {
      if (alive) void writer.close().catch(() => {});
    },
    kill(): void {
      if (!alive) return;
      killed = true;
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
    },
    setActive(active: boolean): void {
      if (active) child.ref();
      else child.unref();
    },
    stderrTail,
  };
}

async function writeAll(bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.byteLength) off += await Deno.stdout.write(bytes.subarray(off));
}
