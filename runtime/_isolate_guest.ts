// The guest side of the isolate host (see _isolate_host.ts): what every program fjord runs in
// another isolate imports FIRST from its entry module, so that every way the isolate can end is
// reported to the parent before user code can run. One envelope for both transports:
// postMessage in a Web Worker, length-prefixed v8 frames (_frames.ts) over stdin/stdout in a
// child process.
//
// Ends it reports, each once, synchronously, before the isolate goes: the program's own exit
// ("return"), an uncaught error ("throw"), an unhandled rejection ("rejection"), `Deno.exit(n)`
// ("exit"), `self.close()` in a Worker ("close"). What no code in the isolate can report (a
// signal, the OOM killer, a V8 fatal error, `terminate()`) the host sees from the outside.

import { type SerializedError, serializeError } from "./_error_transfer.ts";
import { receiveFjordInit } from "./_fjord_worker.ts";
import { type Codec, encodeFrame, FrameReader, JSON_CODEC, writeAllSync } from "./_frames.ts";
import { setSelectedBackendType } from "./selection.ts";
import type { BackendType } from "./backend_type.ts";
import { inWorker } from "./_in_worker.ts";

/** Envelope kinds: [kind, body]. */
export const K_MSG = 0; // a program message, either way
export const K_END = 1; // guest → host: GuestEnd, the isolate is ending
export const K_LOG = 2; // guest → host: a log record
export const K_INIT = 3; // host → process guest: GuestInit (the first frame)
export const K_EOF = 4; // host → worker guest: the parent will send nothing more

/** How the isolate ended, as the guest saw it. */
export type GuestEndCause = "return" | "throw" | "rejection" | "exit" | "close";

/** The last thing a guest sends. */
export interface GuestEnd {
  cause: GuestEndCause;
  code: number | undefined;
  error: SerializedError | undefined;
  /** What the program's onEnding hook returned (e.g. the ids of tasks that die with it). */
  detail: unknown;
}

/** A log record a guest forwards to the parent's logger. */
export interface LogRecord {
  time: string;
  level: "debug" | "info" | "warning" | "error";
  message: string;
}

/** What the host hands every guest. */
export interface GuestInit {
  backend: BackendType | undefined;
  data: unknown;
}

/** A program's connection to its parent. */
export interface Guest<In, Out> {
  /** `"worker"` in a Web Worker, `"process"` in a child process. */
  readonly isolation: "worker" | "process";
  /** The program's init data. */
  readonly data: unknown;
  /** Sends to the parent; throws a DataCloneError when `msg` cannot be cloned. */
  send(msg: Out, transfer?: Transferable[]): void;
  /** Forwards a log record to the parent's logger. */
  log(level: LogRecord["level"], message: string): void;
  /** Messages from the parent (queued until set). */
  onMessage: ((msg: In) => void) | undefined;
  /** The parent will send nothing more (process: stdin EOF, it may have died). Default: exit 0. */
  onInputEnd: (() => void) | undefined;
  /** Runs synchronously as the isolate ends, whatever the cause; its result reaches the parent. */
  onEnding: ((cause: GuestEndCause) => unknown) | undefined;
  /** Ends the isolate with `code` (cause "return"). */
  exit(code: number): void;
}

interface Scope {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  close(): void;
  addEventListener(type: string, listener: (event: Event) => void): void;
}

let connected: Promise<Guest<unknown, unknown>> | undefined;

/**
 * Connects this isolate to its host (once; later calls return the same guest). `codec` encodes
 * what a child process sends (default JSON; a program that sends arbitrary values passes
 * node:v8, and so must its host).
 */
export function connectGuest<In, Out>(codec: Codec = JSON_CODEC): Promise<Guest<In, Out>> {
  connected ??= connect(codec);
  return connected as Promise<Guest<In, Out>>;
}

async function connect(codec: Codec): Promise<Guest<unknown, unknown>> {
  const scope = globalThis as unknown as Scope;
  const realExit = Deno.exit;
  const realClose = inWorker ? scope.close.bind(scope) : undefined;
  let ended = false;
  const queue: unknown[] = [];
  let inputEnded = false;

  const post = (envelope: unknown, transfer?: Transferable[]): void => {
    if (inWorker) {
      scope.postMessage(envelope, transfer ?? []);
      return;
    }
    const frame = encodeFrame(envelope, codec); // a clone failure throws to the caller
    try {
      writeAllSync(Deno.stdout, frame);
    } catch (error) {
      // The parent is gone (broken pipe): stdin's EOF tells the program. Any other failure (this
      // process's own code closed its stdout) leaves it nothing to answer with while its parent
      // waits for the answer: it ends, and the parent sees it lost.
      if (!(error instanceof Deno.errors.BrokenPipe)) realExit(1);
    }
  };

  const guest: Guest<unknown, unknown> = {
    isolation: inWorker ? "worker" : "process",
    data: undefined,
    send(msg, transfer): void {
      if (!ended) post([K_MSG, msg], transfer);
    },
    log(level, message): void {
      if (ended) return;
      const record: LogRecord = { time: new Date().toISOString(), level, message };
      post([K_LOG, record]);
    },
    onMessage: undefined,
    onInputEnd: undefined,
    onEnding: undefined,
    exit(code: number): void {
      end("return", code, undefined);
    },
  };

  // Reports the end once, then ends the isolate.
  function report(cause: GuestEndCause, code: number | undefined, error: unknown): void {
    if (ended) return;
    let detail: unknown;
    try {
      detail = guest.onEnding?.(cause);
    } catch {
      // The hook's failure must not hide the end itself.
    }
    ended = true;
    const msg: GuestEnd = {
      cause,
      code,
      error: error === undefined ? undefined : serializeError(error),
      detail,
    };
    try {
      post([K_END, msg]);
    } catch {
      // The detail is not cloneable: the parent still learns the cause.
      try {
        post([K_END, { ...msg, detail: undefined }]);
      } catch {
        // Nothing more to say.
      }
    }
  }

  function end(cause: GuestEndCause, code: number | undefined, error: unknown): void {
    report(cause, code, error);
    if (inWorker) realClose!();
    else realExit(code ?? 1);
  }

  Object.defineProperty(Deno, "exit", {
    configurable: true,
    writable: true,
    value: (code?: number): never => {
      const c = code ?? Deno.exitCode;
      report("exit", c, undefined);
      if (inWorker) realClose!();
      return realExit(c);
    },
  });
  if (inWorker) {
    scope.close = (): void => end("close", undefined, undefined);
  }
  scope.addEventListener("error", (event) => {
    event.preventDefault();
    const e = event as ErrorEvent;
    end("throw", 1, e.error ?? new Error(e.message));
  });
  scope.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    end("rejection", 1, (event as PromiseRejectionEvent).reason);
  });

  const deliver = (msg: unknown): void => {
    if (guest.onMessage !== undefined) guest.onMessage(msg);
    else queue.push(msg);
  };
  const inputEnd = (): void => {
    inputEnded = true;
    if (guest.onInputEnd !== undefined) guest.onInputEnd();
    else if (guest.onMessage !== undefined) end("return", 0, undefined);
  };

  let init: GuestInit;
  if (inWorker) {
    // receiveFjordInit already adopted the parent's backend and shared memory.
    init = { backend: undefined, data: await receiveFjordInit() };
    scope.addEventListener("message", (event) => {
      const [kind, body] = (event as MessageEvent).data as [number, unknown];
      if (kind === K_MSG) deliver(body);
      else if (kind === K_EOF) inputEnd();
    });
  } else {
    // Natural end of the event loop: the program returned without calling exit().
    scope.addEventListener("unload", () => report("return", 0, undefined));
    init = await readProcessInput(codec, deliver, inputEnd);
    if (init.backend !== undefined) setSelectedBackendType(init.backend);
  }
  (guest as { data: unknown }).data = init.data;

  // Messages that came before the program set onMessage are handed over once it has.
  let onMessage: ((msg: unknown) => void) | undefined;
  Object.defineProperty(guest, "onMessage", {
    get: () => onMessage,
    set: (fn: ((msg: unknown) => void) | undefined) => {
      onMessage = fn;
      if (fn === undefined) return;
      for (const msg of queue.splice(0)) fn(msg);
      // Later: the program sets onInputEnd right after onMessage.
      if (inputEnded) queueMicrotask(inputEnd);
    },
  });
  return guest;
}

// Reads stdin frames: resolves with the init frame, then delivers messages until EOF.
function readProcessInput(
  codec: Codec,
  deliver: (msg: unknown) => void,
  inputEnd: () => void,
): Promise<GuestInit> {
  const init = Promise.withResolvers<GuestInit>();
  void (async () => {
    const reader = new FrameReader(codec);
    let got = false;
    // Deno.stdin.read(), not Deno.stdin.readable: building the stream costs 2-4 ms of a child's
    // start (measured), on the respawn path. `buf` is read into again: the reader copies what
    // it keeps, and no codec's message views its payload (see Codec).
    const buf = new Uint8Array(64 * 1024);
    try {
      for (let n = await Deno.stdin.read(buf); n !== null; n = await Deno.stdin.read(buf)) {
        reader.push(buf.subarray(0, n), () => {}, (envelope) => {
          const [kind, body] = envelope as [number, unknown];
          if (kind === K_INIT && !got) {
            got = true;
            init.resolve(body as GuestInit);
          } else if (kind === K_MSG) deliver(body);
        });
      }
    } catch {
      // stdin broke: the parent is gone, same as EOF.
    }
    if (!got) Deno.exit(0); // the parent died before it said anything
    inputEnd();
  })();
  return init.promise;
}
