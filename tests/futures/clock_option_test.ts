// Every futures API that takes a `clock` checks it at the call: a bad clock used to fail only
// at its first use ("now is not a function"), or never when nothing had to wait.

import type { Clock } from "../../runtime/clock.ts";
import { assertRefusesClock, BAD_CLOCKS } from "../_util.ts";
import {
  AsyncPoolExecutor,
  PeriodicWorker,
  SynchronousExecutor,
  waitForAll,
  waitForAny,
  WorkerPoolExecutor,
} from "../../futures/mod.ts";

Deno.test("futures APIs reject a clock that is not a Clock, naming 'clock'", async () => {
  const done = new SynchronousExecutor().submit(() => 1);
  for (const [value, shown] of BAD_CLOCKS) {
    const clock = value as Clock;
    const calls: [string, () => unknown][] = [
      ["create executor", () => new SynchronousExecutor({ clock })],
      ["create executor", () => new AsyncPoolExecutor({ clock })],
      ["create executor", () => new WorkerPoolExecutor({ clock })],
      ["create PeriodicWorker", () => new PeriodicWorker([], { clock })],
      ["wait for future", () => done.result({ clock })],
      ["wait for future", () => done.exception({ clock })],
      ["wait for any", () => waitForAny([done], { clock })],
      ["wait for all", () => waitForAll([done], { clock })],
    ];
    await assertRefusesClock(calls, shown);
  }
});
