// A launcher's hold on the process while it waits: its SIGTERM/SIGINT/SIGHUP handlers and the
// keep-alive timer. Parent side only.

import { SignalHandler } from "./signal_handler.ts";

/** What a launcher does on each signal it handles. */
export type LauncherSignalActions = Record<"SIGTERM" | "SIGINT" | "SIGHUP", () => void>;

/**
 * For a launcher's wait(): installs the SIGTERM/SIGINT/SIGHUP handlers (where the OS supports
 * them) and keeps the event loop alive, which pending promises and signal listeners alone do
 * not. Returns the function that removes both.
 */
export function holdForSignals(actions: LauncherSignalActions): () => void {
  const handler = new SignalHandler();
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    if (handler.isSignalSupported(signal)) handler.add(signal, () => actions[signal]());
  }
  const id = setInterval(() => {}, 2 ** 30);
  return () => {
    handler.clear();
    clearInterval(id);
  };
}
