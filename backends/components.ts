// The components both backends share. Backend-bound classes read the selected backend's
// `taskIsolation` / `launcherIsolation` when constructed, so one class serves both backends;
// only the default Executor differs per backend.

import type { Components } from "./backend.ts";
import { SignalHandler } from "./signal_handler.ts";

/** Every component except those that differ per backend. */
export type CommonComponents = Omit<Components, "Executor">;

export function commonComponents(): CommonComponents {
  return {
    SignalHandler,
  };
}
