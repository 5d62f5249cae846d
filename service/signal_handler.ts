/**
 * OS signal handling on `Deno.addSignalListener`.
 *
 * @module
 */

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

/**
 * Routes OS signals to handlers. Each instance binds one OS listener per signal (on the first
 * handler, released with the last), runs a signal's handlers most recent first, and never keeps
 * the process alive. A handler that throws is logged; the others still run.
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
  #handlers = new Map<Deno.Signal, { list: SignalCallback[]; dispatch: () => void }>();

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
      throw new TypeError(`Cannot add signal handler as 'handler' is not a function`);
    }
    let entry = this.#handlers.get(signal);
    if (entry === undefined) {
      const list: SignalCallback[] = [];
      const dispatch = (): void => {
        for (const h of list.toReversed()) {
          try {
            h(signal);
          } catch (err) {
            getLogger().error(`Signal handler for ${signal} failed`, err);
          }
        }
      };
      Deno.addSignalListener(signal, dispatch);
      entry = { list, dispatch };
      this.#handlers.set(signal, entry);
    }
    // A wrapper gives each registration its own identity, so one function added twice is
    // removed once per disposal.
    const registration: SignalCallback = (s) => handler(s);
    entry.list.push(registration);
    return {
      [Symbol.dispose]: () => this.#remove(signal, registration),
    };
  }

  /** Removes every handler and releases every OS listener this instance holds. */
  clear(): void {
    for (const [signal, entry] of this.#handlers) {
      Deno.removeSignalListener(signal, entry.dispatch);
    }
    this.#handlers.clear();
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

  #remove(signal: Deno.Signal, registration: SignalCallback): void {
    const entry = this.#handlers.get(signal);
    if (entry === undefined) return;
    const i = entry.list.indexOf(registration);
    if (i < 0) return;
    entry.list.splice(i, 1);
    if (entry.list.length === 0) {
      Deno.removeSignalListener(signal, entry.dispatch);
      this.#handlers.delete(signal);
    }
  }
}
