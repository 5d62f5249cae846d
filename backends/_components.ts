// The components both backends share. Backend-bound classes read the selected backend's
// `taskIsolation` / `launcherIsolation` when constructed, so one class serves both backends;
// only the default Executor differs per backend. The `Components` interface (backend.ts) is the
// documented list of names; this object literal is the value it types, so a name added to or
// missing from either fails `deno check`.

import type { Components } from "./backend.ts";
import { SignalHandler } from "../service/signal_handler.ts";
import { Thread, ThreadGroup } from "../service/thread_group.ts";
import {
  BackOffLoopingCall,
  DynamicLoopingCall,
  FixedIntervalLoopingCall,
  FixedIntervalWithTimeoutLoopingCall,
} from "../service/looping_call.ts";
import { LoopingCallDone, LoopingCallTimeOut } from "../service/looping_call_errors.ts";
import { RetryDecorator } from "../service/retry.ts";
import { Service, Services } from "../service/service.ts";
import { Launcher } from "../service/launcher.ts";
import { ServiceLauncher } from "../service/service_launcher.ts";
import { ProcessLauncher } from "../service/process_launcher.ts";
import { launch } from "../service/launch.ts";
import { SignalExit } from "../service/signal_exit.ts";

/** Every component except those that differ per backend. */
export type CommonComponents = Omit<Components, "Executor">;

export function commonComponents(): CommonComponents {
  return {
    SignalHandler,
    ThreadGroup,
    Thread,
    FixedIntervalLoopingCall,
    FixedIntervalWithTimeoutLoopingCall,
    DynamicLoopingCall,
    BackOffLoopingCall,
    RetryDecorator,
    LoopingCallDone,
    LoopingCallTimeOut,
    Service,
    Services,
    Launcher,
    ServiceLauncher,
    ProcessLauncher,
    launch,
    SignalExit,
  };
}
