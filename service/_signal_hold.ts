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
 * For a launcher's wait(): installs the SIGTERM/SIGINT/SIGHUP handlers (where the OS supports
 * them) and keeps the event loop alive, which pending promises and signal listeners alone do
 * not. Returns the function that removes both.
 */
export function holdForSignals(actions: LauncherSignalActions): () => void {
  const handler = new SignalHandler();
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    if (handler.isSignalSupported(signal)) handler.add(signal, () => actions[signal]());
  }
  const { port1, port2 } = new MessageChannel();
  port1.onmessage = () => {};
  return () => {
    handler.clear();
    port1.close();
    port2.close();
  };
}
