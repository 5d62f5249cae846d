// Every service API that takes a `clock` checks it at the call: a bad clock used to fail only
// at its first use ("now is not a function"), often deep in a timer, far from the bad call.

import type { Clock } from "../../runtime/clock.ts";
import { assertRefusesClock, BAD_CLOCKS } from "../_util.ts";
import {
  BackOffLoopingCall,
  DynamicLoopingCall,
  FixedIntervalLoopingCall,
  FixedIntervalWithTimeoutLoopingCall,
  onReady,
  PeriodicTasks,
  ProcessLauncher,
  RetryDecorator,
  ServiceLauncher,
  ThreadGroup,
} from "../../service/mod.ts";

Deno.test("service APIs reject a clock that is not a Clock at the call, naming 'clock'", async () => {
  for (const [value, shown] of BAD_CLOCKS) {
    const clock = value as Clock;
    const calls: [string, () => unknown][] = [
      ["create ServiceLauncher", () => new ServiceLauncher(undefined, { clock })],
      ["create ProcessLauncher", () => new ProcessLauncher(undefined, { clock })],
      ["create ThreadGroup", () => new ThreadGroup({ clock })],
      ["create PeriodicTasks", () => new (class extends PeriodicTasks {})(undefined, { clock })],
      ["create RetryDecorator", () => new RetryDecorator({ clock })],
      ["create FixedIntervalLoopingCall", () => new FixedIntervalLoopingCall(() => {}, { clock })],
      [
        "create FixedIntervalWithTimeoutLoopingCall",
        () => new FixedIntervalWithTimeoutLoopingCall(() => {}, { clock }),
      ],
      ["create DynamicLoopingCall", () => new DynamicLoopingCall(() => {}, { clock })],
      ["create BackOffLoopingCall", () => new BackOffLoopingCall(() => true, { clock })],
      ["wait for READY=1", () => onReady("/tmp/fjord-clock-check.sock", { clock })],
    ];
    await assertRefusesClock(calls, shown);
  }
});
