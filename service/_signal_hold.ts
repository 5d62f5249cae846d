// A launcher's hold on the process while it waits: its SIGTERM/SIGINT/SIGHUP handlers and what
// keeps the event loop alive. Parent side only.
//
// The keep-alive is a MessagePort with a listener (a pending receive that Deno counts as work),
// not a timer: a process's first setTimeout or setInterval makes Deno load its timer machinery,
// 7-12 ms on the calling thread (Deno 2.9, 2 cores), and the hold is taken at launch, right before
// the workers are spawned or the service is started.

import { SignalHandler } from "./signal_handler.ts";

/** What a launcher does on each signal it handles. */
export type LauncherSignalActions = Record<"SIGTERM" | "SIGINT" | "SIGHUP", () => void>;

/**
 * Installs the SIGTERM/SIGINT/SIGHUP handlers (where the OS supports them) and keeps the event
 * loop alive, which pending promises and signal listeners alone do not. Returns the function
 * that removes both.
 */
function holdForSignals(actions: LauncherSignalActions): () => void {
  const handler = new SignalHandler();
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    if (handler.isSignalSupported(signal)) handler.add(signal, () => actions[signal]());
  }
  // The port is opened at the end of the caller's turn, when the event loop could first find
  // nothing to do: its first use costs Deno ~2 ms (Deno 2.9), which a launch would otherwise pay
  // before the service's start() runs. The handlers themselves must be in place before it.
  let channel: MessageChannel | undefined;
  let released = false;
  queueMicrotask(() => {
    if (released) return;
    channel = new MessageChannel();
    channel.port1.onmessage = () => {};
  });
  return () => {
    released = true;
    handler.clear();
    channel?.port1.close();
    channel?.port2.close();
  };
}

/** A launcher's hold: at most one at a time, taken at launch or by wait(), released when done. */
export class SignalHold {
  #release: (() => void) | undefined;

  /** Installs the handlers `actions()` gives, unless the hold is taken already. */
  take(actions: () => LauncherSignalActions): void {
    this.#release ??= holdForSignals(actions());
  }

  /** Removes the handlers and the keep-alive; idempotent. */
  release(): void {
    this.#release?.();
    this.#release = undefined;
  }
}
