import assert from "node:assert/strict";
import { FakeClock, RetryDecorator, type RetryDecoratorOptions } from "../../backends/mod.ts";
import { captureLog } from "../_util.ts";

class Flaky extends Error {
  constructor(message = "flaky") {
    super(message);
    this.name = "Flaky";
  }
}

/** A function failing with `Flaky` on the call numbers in `failOn`, recording call times. */
function flaky(
  clock: FakeClock,
  failOn: (n: number) => boolean,
): { fn: (x: number) => number; calls: number[] } {
  const calls: number[] = [];
  const fn = (x: number): number => {
    calls.push(clock.now());
    if (failOn(calls.length)) throw new Flaky(`call ${calls.length}`);
    return x * 2;
  };
  return { fn, calls };
}

Deno.test("RetryDecorator.wrap() retries with delays inc, 2·inc, … capped at maxSleepTime", async () => {
  using _log = captureLog();
  using clock = new FakeClock();
  const { fn, calls } = flaky(clock, (n) => n <= 4);
  const wrapped = new RetryDecorator({
    maxRetryCount: 5,
    incSleepTime: 50,
    maxSleepTime: 120,
    exceptions: [Flaky],
    clock,
  }).wrap(fn);
  const result = wrapped(21);
  await clock.runAll();
  assert.equal(await result, 42);
  // Delays 50, 100, 120 (capped), 120.
  assert.deepEqual(calls, [0, 50, 150, 270, 390]);
});

// Reference vector 9, minus oslo's shared counter: every invocation gets its own retries.
Deno.test("RetryDecorator.wrap() counts retries per invocation", async () => {
  using _log = captureLog();
  using clock = new FakeClock();
  const { fn, calls } = flaky(clock, (n) => n % 2 === 1);
  const wrapped = new RetryDecorator({
    maxRetryCount: 2,
    incSleepTime: 50,
    maxSleepTime: 80,
    exceptions: [Flaky],
    clock,
  }).wrap(fn);
  for (const x of [1, 2, 3]) {
    const started = clock.now();
    const result = wrapped(x);
    await clock.runAll();
    assert.equal(await result, 2 * x);
    // oslo would sleep 80 on the second invocation and fail the third at once.
    assert.equal(clock.now() - started, 50);
  }
  assert.equal(calls.length, 6);
});

Deno.test("RetryDecorator.wrap() gives up after maxRetryCount retries with the last error", async () => {
  using log = captureLog();
  using clock = new FakeClock();
  const { fn, calls } = flaky(clock, () => true);
  const wrapped = new RetryDecorator({
    maxRetryCount: 2,
    incSleepTime: 10,
    exceptions: [Flaky],
    clock,
  })
    .wrap(fn);
  const result = wrapped(1);
  result.catch(() => {});
  await clock.runAll();
  await assert.rejects(result, { name: "Flaky", message: "call 3" });
  assert.deepEqual(calls, [0, 10, 30]);
  assert.ok(log.messages("debug").some((m) => m.includes("reached max retry count (2)")));
});

Deno.test("RetryDecorator.wrap() throws other errors at once", async () => {
  using clock = new FakeClock();
  let calls = 0;
  const wrapped = new RetryDecorator({ exceptions: [Flaky], clock }).wrap(async () => {
    calls++;
    await Promise.resolve();
    throw new TypeError("not retried");
  });
  await assert.rejects(wrapped(), TypeError);
  assert.equal(calls, 1);
  assert.equal(clock.pending, 0);
});

Deno.test("RetryDecorator defaults never retry and keep oslo's delays", async () => {
  using _log = captureLog();
  using clock = new FakeClock();
  const { fn, calls } = flaky(clock, (n) => n < 3);
  await assert.rejects(new RetryDecorator({ clock }).wrap(fn)(1), Flaky);
  assert.equal(calls.length, 1);
  // maxRetryCount -1 retries forever: 10 s, 20 s, ...
  const forever = new RetryDecorator({ exceptions: [Flaky], clock }).wrap(fn);
  const started = clock.now();
  const result = forever(5);
  await clock.runAll();
  assert.equal(await result, 10);
  assert.equal(clock.now() - started, 10_000);
});

Deno.test("RetryDecorator rejects bad options and functions at the call", () => {
  assert.throws(() => new RetryDecorator({ maxRetryCount: -2 }), {
    name: "RangeError",
    message:
      "Cannot create RetryDecorator as 'maxRetryCount' must be an integer >= -1: current value is number -2",
  });
  assert.throws(() => new RetryDecorator({ maxRetryCount: "3" as unknown as number }), {
    name: "TypeError",
    message:
      "Cannot create RetryDecorator as 'maxRetryCount' must be an integer >= -1: current value is string 3",
  });
  assert.throws(() => new RetryDecorator(null as unknown as RetryDecoratorOptions), {
    name: "TypeError",
    message: "Cannot create RetryDecorator as 'options' must be an object: current value is null",
  });
  assert.throws(() => new RetryDecorator({ incSleepTime: -1 }), RangeError);
  assert.throws(() => new RetryDecorator({ maxSleepTime: Infinity }), RangeError);
  assert.throws(
    () => new RetryDecorator({ exceptions: ["Flaky" as unknown as typeof Flaky] }),
    {
      name: "TypeError",
      message:
        "Cannot create RetryDecorator as 'exceptions[0]' must be an error class: current value is string Flaky",
    },
  );
  assert.throws(() => new RetryDecorator({ exceptions: Flaky as never }), {
    name: "TypeError",
    message: /'exceptions' must be an array of error classes: current value is /,
  });
  // Not a class: `instanceof` would throw at the first failure, hiding the function's error.
  assert.throws(
    () => new RetryDecorator({ exceptions: [(() => {}) as unknown as typeof Flaky] }),
    {
      name: "TypeError",
      message:
        /^Cannot create RetryDecorator as 'exceptions\[0\]' must be an error class: current value is /,
    },
  );
  assert.throws(
    () => new RetryDecorator().wrap(null as unknown as () => void),
    { name: "TypeError", message: "Cannot wrap as 'fn' must be a function: current value is null" },
  );
});

Deno.test("RetryDecorator.wrap() retries subclasses of the listed errors and sync throws", async () => {
  using _log = captureLog();
  using clock = new FakeClock();
  class SubFlaky extends Flaky {}
  let calls = 0;
  const wrapped = new RetryDecorator({
    maxRetryCount: 1,
    incSleepTime: 10,
    exceptions: [Flaky],
    clock,
  })
    .wrap((): string => {
      if (++calls === 1) throw new SubFlaky();
      return "ok";
    });
  const result = wrapped();
  await clock.runAll();
  assert.equal(await result, "ok");
  assert.equal(calls, 2);
  assert.equal(clock.now(), 10);
});

Deno.test("RetryDecorator.wrap() rethrows a non-Error throw at once", async () => {
  using clock = new FakeClock();
  let calls = 0;
  const wrapped = new RetryDecorator({ exceptions: [Error], clock }).wrap((): never => {
    calls++;
    throw "not an Error";
  });
  await assert.rejects(wrapped(), (err) => err === "not an Error");
  assert.equal(calls, 1);
  assert.equal(clock.pending, 0);
});

Deno.test("RetryDecorator: a duration given as a string is a TypeError naming it a string", () => {
  for (const name of ["incSleepTime", "maxSleepTime"] as const) {
    assert.throws(() => new RetryDecorator({ [name]: "2" as unknown as number }), {
      name: "TypeError",
      message:
        `Cannot create RetryDecorator as '${name}' must be a finite number >= 0: current value is string 2`,
    });
  }
});

Deno.test("RetryDecorator: a duration that is a number out of range (NaN, -1) stays a RangeError", () => {
  assert.throws(() => new RetryDecorator({ incSleepTime: Number.NaN }), {
    name: "RangeError",
    message: /'incSleepTime' must be a finite number >= 0: current value is number NaN$/,
  });
  assert.throws(() => new RetryDecorator({ maxSleepTime: -1 }), {
    name: "RangeError",
    message: /'maxSleepTime' must be a finite number >= 0: current value is number -1$/,
  });
});

Deno.test("RetryDecorator.wrap() with no sleep between retries still lets the isolate run: the function it retries waits for a timer", async () => {
  using _log = captureLog();
  for (const option of [{ incSleepTime: 0 }, { maxSleepTime: 0 }]) {
    let ready = false;
    let calls = 0;
    const timer = setTimeout(() => ready = true, 20);
    try {
      // Retried without awaiting anything: before, on microtasks alone, and the timer never ran.
      const wrapped = new RetryDecorator({ maxRetryCount: -1, exceptions: [Flaky], ...option })
        .wrap(() => {
          calls++;
          if (!ready) throw new Flaky();
          return calls;
        });
      assert.ok(await wrapped() > 1);
    } finally {
      clearTimeout(timer);
    }
  }
});

Deno.test("RetryDecorator refuses an option it does not know (a misspelt maxRetryCount retried for ever)", () => {
  assert.throws(() => new RetryDecorator({ maxRetries: 3 } as RetryDecoratorOptions), {
    name: "TypeError",
    message:
      /^Cannot create RetryDecorator as 'options' has the unknown field 'maxRetries' \(known: /,
  });
});
