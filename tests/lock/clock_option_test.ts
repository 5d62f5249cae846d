// Every lock API that takes a `clock` checks it at the call: a bad clock used to fail only when
// a timed wait first read it ("now is not a function"), or never when the lock was free.

import type { Clock } from "../../runtime/clock.ts";
import { assertRefusesClock, BAD_CLOCKS } from "../_util.ts";
import { externalLock, lock, ReaderWriterLock, synchronized } from "../../lock/mod.ts";

Deno.test("lock APIs reject a clock that is not a Clock at the call, naming 'clock'", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const [value, shown] of BAD_CLOCKS) {
      const clock = value as Clock;
      const calls: [string, () => unknown][] = [
        ["lock", () => lock("clock-check", { clock, timeout: 10 })],
        ["synchronize", () => synchronized("clock-check", () => {}, { clock })],
        ["acquire lock", () => externalLock("clock-check", { lockPath: dir }).acquire({ clock })],
        ["acquire lock", () => new ReaderWriterLock().readLock({ clock })],
        ["acquire lock", () => new ReaderWriterLock().writeLock({ clock })],
      ];
      await assertRefusesClock(calls, shown);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
