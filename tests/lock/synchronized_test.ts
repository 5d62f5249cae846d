import assert from "node:assert/strict";
import { FakeClock } from "../../runtime/clock.ts";
import { captureLog } from "../_util.ts";
import {
  AcquireLockFailedError,
  lock,
  Semaphores,
  synchronized,
  synchronizedWithPrefix,
} from "../../lock/mod.ts";

Deno.test("synchronized() serializes calls and passes arguments, this and results through", async () => {
  let counter = 0;
  const obj = {
    step: 2,
    add: synchronized(
      "sync-add",
      async function (this: { step: number }, times: number): Promise<number> {
        for (let i = 0; i < times; i++) {
          const v = counter;
          await Promise.resolve();
          counter = v + this.step;
        }
        return counter;
      },
    ),
  };
  const results = await Promise.all([obj.add(3), obj.add(2), obj.add(1)]);
  assert.deepEqual(results, [6, 10, 12]);
});

Deno.test("synchronized() releases the lock when the body throws", async () => {
  const semaphores = new Semaphores();
  const boom = synchronized("sync-throw", () => {
    throw new RangeError("boom");
  }, { semaphores });
  await assert.rejects(boom(), RangeError);
  assert.equal(semaphores.size, 0);
  const rejecting = synchronized("sync-throw", () => Promise.reject(new Error("no")), {
    semaphores,
  });
  await assert.rejects(rejecting(), { message: "no" });
  assert.equal(semaphores.size, 0);
});

Deno.test("synchronized() logs oslo's lines with waited and held seconds", async () => {
  const clock = new FakeClock();
  using log = captureLog();
  const work = synchronized("sync-log", async function work(): Promise<void> {
    await clock.sleep(1500);
  }, { clock });
  const done = work();
  await clock.tickAsync(1500);
  await done;
  assert.deepEqual(log.lines, [
    'Acquiring lock "sync-log" by "work"',
    'Lock "sync-log" acquired by "work" :: waited 0.000s',
    'Lock "sync-log" "released" by "work" :: held 1.500s',
  ]);
});

Deno.test("synchronized() with blocking: false logs 'unacquired' and rethrows", async () => {
  const held = await lock("sync-busy");
  try {
    using log = captureLog();
    const f = synchronized("sync-busy", function f(): void {}, { blocking: false });
    await assert.rejects(f(), AcquireLockFailedError);
    assert.deepEqual(log.lines, [
      'Acquiring lock "sync-busy" by "f"',
      'Lock "sync-busy" "unacquired" by "f" :: held N/A',
    ]);
  } finally {
    await held.release();
  }
});

Deno.test("synchronized() rejects bad arguments at wrap time", () => {
  assert.throws(() => synchronized("", () => {}), TypeError);
  assert.throws(() => synchronized("x", 5 as unknown as () => void), TypeError);
  assert.throws(() => synchronized("x", () => {}, { timeout: -5 }), RangeError);
  assert.throws(() => synchronizedWithPrefix(1 as unknown as string), TypeError);
});

Deno.test("synchronizedWithPrefix() uses the prefix for the lock file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const f = synchronizedWithPrefix("svc")("job/1", () => 7, { external: true, lockPath: dir });
    assert.equal(await f(), 7);
    assert.equal((await Deno.stat(`${dir}/svc-job_1`)).isFile, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
