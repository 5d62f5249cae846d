/**
 * OS signal handling on `Deno.addSignalListener`.
 *
 * @module
 */

import { describeValue } from "../runtime/_describe.ts";
import { getLogger } from "../runtime/logger.ts";

const UNIX_SIGNALS: ReadonlySet<string> = new Set([
  "SIGABRT",
  "SIGALRM",
  "SIGBUS",
  "SIGCHLD",
  "SIGCONT",
  "SIGEMT",
  "SIGHUP",
  "SIGINFO",
  "SIGINT",
  "SIGIO",
  "SIGPOLL",
  "SIGPIPE",
  "SIGPROF",
  "SIGPWR",
  "SIGQUIT",
  "SIGSTKFLT",
  "SIGSYS",
  "SIGTERM",
  "SIGTRAP",
  "SIGTSTP",
  "SIGTTIN",
  "SIGTTOU",
  "SIGURG",
  "SIGUSR1",
  "SIGUSR2",
  "SIGVTALRM",
  "SIGWINCH",
  "SIGXCPU",
  "SIGXFSZ",
]);
// Only Linux has these; macOS has SIGEMT and SIGINFO instead.
const LINUX_ONLY: ReadonlySet<string> = new Set(["SIGPOLL", "SIGPWR", "SIGSTKFLT"]);
const DARWIN_ONLY: ReadonlySet<string> = new Set(["SIGEMT", "SIGINFO"]);

/**
 * A function called with the signal that arrived.
 *
 * @example
 * ```ts
 * import { type SignalCallback, SignalHandler } from "@fjord/fjord";
 *
 * const onSignal: SignalCallback = (signal) => console.log(`got ${signal}`);
 * using _registration = new SignalHandler().add("SIGHUP", onSignal);
 * ```
 */
export type SignalCallback = (signal: Deno.Signal) => void;

// One table for the process, as oslo's SignalHandler is a singleton: a signal's handlers run
// most recent first whichever instance added them, under one OS listener per signal.
interface Registration {
  readonly handler: SignalCallback;
}
const table = new Map<Deno.Signal, { list: Registration[]; dispatch: () => void }>();

function logFailure(signal: Deno.Signal, err: unknown): void {
  getLogger().error(`Signal handler for ${signal} failed`, err);
}

function dispatcher(signal: Deno.Signal, list: Registration[]): () => void {
  return () => {
    for (const { handler } of list.toReversed()) {
      try {
        const result: unknown = handler(signal);
        // An async handler's rejection would otherwise be unhandled, and end the process.
        if (result instanceof Promise) result.catch((err) => logFailure(signal, err));
      } catch (err) {
        logFailure(signal, err);
      }
    }
  };
}

function unregister(signal: Deno.Signal, registration: Registration): void {
  const entry = table.get(signal);
  const i = entry?.list.indexOf(registration) ?? -1;
  if (entry === undefined || i < 0) return;
  entry.list.splice(i, 1);
  if (entry.list.length === 0) {
    Deno.removeSignalListener(signal, entry.dispatch);
    table.delete(signal);
  }
}

/**
 * Routes OS signals to handlers. One OS listener per signal serves every instance (bound with the
 * first handler, released with the last), a signal's handlers run most recent first whichever
 * instance added them (oslo's `SignalHandler` is a singleton), and no handler keeps the process
 * alive. A handler that throws, or an async one that rejects, is logged; the others still run.
 *
 * @example Handling SIGUSR1 once
 * ```ts ignore
 * import { SignalHandler } from "@fjord/fjord";
 *
 * const handler = new SignalHandler();
 * using _sub = handler.add("SIGUSR1", (sig) => console.log("got", sig));
 * Deno.kill(Deno.pid, "SIGUSR1");
 * ```
 */
export class SignalHandler {
  // This instance's registrations, for clear().
  #own = new Map<Registration, Deno.Signal>();

  /**
   * Adds a handler for `signal`.
   *
   * @param signal The signal name, e.g. `"SIGTERM"`.
   * @param handler Called with the signal name each time it arrives.
   * @returns A `Disposable` that removes this handler (removing it twice is a no-op).
   * @throws {TypeError} When the signal is not supported here or `handler` is not a function.
   */
  add(signal: Deno.Signal, handler: SignalCallback): Disposable {
    if (!this.isSignalSupported(signal)) {
      throw new TypeError(
        `Cannot add signal handler as signal '${
          String(signal)
        }' is not supported on ${Deno.build.os}`,
      );
    }
    if (typeof handler !== "function") {
      throw new TypeError(
        `Cannot add signal handler as 'handler' must be a function: current value is ${
          describeValue(handler)
        }`,
      );
    }
    let entry = table.get(signal);
    if (entry === undefined) {
      const list: Registration[] = [];
      entry = { list, dispatch: dispatcher(signal, list) };
      Deno.addSignalListener(signal, entry.dispatch);
      table.set(signal, entry);
    }
    // Its own object per registration: one function added twice is removed once per disposal.
    const registration: Registration = { handler };
    entry.list.push(registration);
    this.#own.set(registration, signal);
    return {
      [Symbol.dispose]: () => {
        if (this.#own.delete(registration)) unregister(signal, registration);
      },
    };
  }

  /**
   * Removes every handler this instance added (other instances' stay), releasing a signal's OS
   * listener with its last handler.
   */
  clear(): void {
    for (const [registration, signal] of this.#own) unregister(signal, registration);
    this.#own.clear();
  }

  /**
   * Whether `signal` can be handled on this OS.
   *
   * @param signal A signal name.
   * @returns `true` when {@linkcode SignalHandler.add} accepts it.
   */
  isSignalSupported(signal: string): boolean {
    const os = Deno.build.os;
    if (os === "windows") return signal === "SIGINT" || signal === "SIGBREAK";
    if (!UNIX_SIGNALS.has(signal)) return false;
    if (os !== "linux" && LINUX_ONLY.has(signal)) return false;
    if (os !== "darwin" && DARWIN_ONLY.has(signal)) return false;
    return true;
  }
}
