/**
 * Periodic tasks (oslo.service `periodic_task`): methods marked with the {@linkcode periodicTask}
 * decorator, run when due by {@linkcode PeriodicTasks.runPeriodicTasks}.
 *
 * @module
 */

import { type Clock, systemClock } from "../runtime/clock.ts";
import { checkClock } from "../runtime/_check_clock.ts";
import { getLogger } from "../runtime/logger.ts";
import {
  checkBooleanOption,
  checkConfigOption,
  checkOptionsObject,
} from "../runtime/_check_options.ts";
import { checkNumber } from "../runtime/_check_number.ts";
import { describeValue } from "../runtime/_describe.ts";
import { unitRandom } from "./_unit_random.ts";
import { type Config, periodicTaskOpts } from "../config/mod.ts";
import type { Coordinator } from "../coord/coordinator.ts";
import type { ExclusiveTick } from "../coord/run_exclusive_periodic.ts";
import { MIN_INTERVAL_MS } from "../coord/_min_interval.ts";

// The claim of an exclusive tick (coord/) is loaded at the first exclusive run: most processes
// have none, and every one that imports fjord would otherwise load it at start.
let exclusiveClaim: Promise<typeof import("../coord/run_exclusive_periodic.ts")> | undefined;

/**
 * The spacing in ms of a task that does not give one (oslo's `DEFAULT_INTERVAL`, 60 s).
 *
 * @example
 * ```ts
 * import { DEFAULT_PERIODIC_SPACING } from "@fjord/fjord/service";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_PERIODIC_SPACING, 60_000);
 * ```
 */
export const DEFAULT_PERIODIC_SPACING = 60_000;

/**
 * The `exclusive` option of {@linkcode periodicTask}: which coordinator decides, and the task's
 * name on it.
 *
 * @example
 * ```ts
 * import { connect } from "@fjord/fjord/coord";
 * import { type ExclusivePeriodicTaskOptions, PeriodicTasks } from "@fjord/fjord/service";
 * import assert from "node:assert/strict";
 *
 * await using coordinator = await connect("memory://exclusive-options-example");
 * const exclusive: ExclusivePeriodicTaskOptions = { coordinator, name: "billing.rollup" };
 * class Tasks extends PeriodicTasks {}
 * const tasks = new Tasks();
 * let runs = 0;
 * tasks.addPeriodicTask(() => runs++, { spacing: 60_000, runImmediately: true, exclusive });
 * await tasks.runPeriodicTasks();
 * assert.equal(runs, 1);
 * ```
 */
export interface ExclusivePeriodicTaskOptions {
  /**
   * The coordinator that hands out the ticks.
   *
   * @default {the `coordinator` given to the PeriodicTasks constructor}
   */
  coordinator?: Coordinator;
  /**
   * The task's name on the coordinator, shared by every member that runs it.
   *
   * @default {"<class name>.<task name>"}
   */
  name?: string;
}

/**
 * Options for {@linkcode periodicTask} and {@linkcode PeriodicTasks.addPeriodicTask}.
 *
 * @example
 * ```ts
 * import type { PeriodicTaskOptions } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * const options: PeriodicTaskOptions = { spacing: 10_000, runImmediately: true, name: "report" };
 * assert.equal(options.enabled, undefined); // true by default
 * ```
 */
export interface PeriodicTaskOptions {
  /**
   * Milliseconds between runs; `0` means the default (60000, as in oslo); a negative spacing
   * skips the task.
   *
   * @default {60000}
   */
  spacing?: number;
  /**
   * Run at the first `runPeriodicTasks()` instead of `spacing` after construction.
   *
   * @default {false}
   */
  runImmediately?: boolean;
  /**
   * The task's name in logs.
   *
   * @default {the method's name}
   */
  name?: string;
  /**
   * The task may run in another process: it is skipped here when the config option
   * `run_external_periodic_tasks` is false.
   *
   * @default {false}
   */
  externalProcessOk?: boolean;
  /**
   * `false` skips the task.
   *
   * @default {true}
   */
  enabled?: boolean;
  /**
   * Run each tick on exactly one member of the fleet (`true`: with the defaults of
   * {@linkcode ExclusivePeriodicTaskOptions}). The ticks are numbered on the wall clock
   * (`Date.now() / spacing`, as `runExclusivePeriodic` does), so every member tries each tick at
   * the same boundary; the member whose claim reaches the coordinator first runs it, and the
   * task is called with that tick as its second argument (`{ index, token, signal }`: the fencing
   * token to hand to the resource, and a signal that aborts when the member's session is lost).
   * The others skip the tick. Exclusive tasks ignore the `clock` option and oslo's jitter, and
   * with `runImmediately` the first run claims the current tick. Needs a coordinator here or in
   * the PeriodicTasks constructor options.
   *
   * @default {false}
   */
  exclusive?: boolean | ExclusivePeriodicTaskOptions;
}

/**
 * A periodic task: called with `this` bound to the {@linkcode PeriodicTasks} instance, the
 * `context` given to `runPeriodicTasks`, and, for an `exclusive` task, the tick this member won.
 *
 * @example
 * ```ts
 * import { FakeClock, type PeriodicTaskFn, PeriodicTasks } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * class Tasks extends PeriodicTasks {}
 * using clock = new FakeClock();
 * const tasks = new Tasks(undefined, { clock });
 * const seen: unknown[] = [];
 * const task: PeriodicTaskFn = (context) => {
 *   seen.push(context);
 * };
 * tasks.addPeriodicTask(task, { spacing: 1000, runImmediately: true });
 * await tasks.runPeriodicTasks("ctx");
 * assert.deepEqual(seen, ["ctx"]);
 * ```
 */
// deno-lint-ignore no-explicit-any
export type PeriodicTaskFn = (this: any, context: unknown, tick?: ExclusiveTick) => unknown;

interface TaskMeta {
  spacing: number;
  runImmediately: boolean;
  name: string | undefined;
  externalProcessOk: boolean;
  enabled: boolean;
  exclusive: ExclusivePeriodicTaskOptions | undefined;
}

interface Exclusive {
  coordinator: Coordinator;
  name: string;
}

interface TaskEntry {
  fn: PeriodicTaskFn;
  /** The decorated method's key, looked up on the instance at each run (so overrides run). */
  key: string | symbol | undefined;
  name: string;
  spacing: number;
  externalProcessOk: boolean;
  /** Non-exclusive tasks: when the last run started, on the instance's clock. */
  lastRun: number | undefined;
  exclusive: Exclusive | undefined;
  /** Exclusive tasks: the last wall-clock tick this member tried. */
  lastTick: number | undefined;
}

function isCoordinator(value: unknown): value is Coordinator {
  const c = value as { lock?: unknown; tryLock?: unknown } | null;
  return typeof c === "object" && c !== null && typeof c.lock === "function" &&
    typeof c.tryLock === "function";
}

function resolveExclusive(
  value: unknown,
  what: string,
): ExclusivePeriodicTaskOptions | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return {};
  if (typeof value !== "object" || value === null) {
    throw new TypeError(
      `Cannot ${what} as 'exclusive' must be a boolean or an object: current value is ${
        describeValue(value)
      }`,
    );
  }
  const { coordinator, name } = value as ExclusivePeriodicTaskOptions;
  if (coordinator !== undefined && !isCoordinator(coordinator)) {
    throw new TypeError(
      `Cannot ${what} as 'exclusive.coordinator' must be a Coordinator from connect(): current value is ${
        describeValue(coordinator)
      }`,
    );
  }
  if (name !== undefined && (typeof name !== "string" || name === "")) {
    throw new TypeError(
      `Cannot ${what} as 'exclusive.name' must be a non-empty string: current value is ${
        describeValue(name)
      }`,
    );
  }
  return {
    ...(coordinator === undefined ? {} : { coordinator }),
    ...(name === undefined ? {} : { name }),
  };
}

// A truthy string ("false") must not make the first task error reject the run.
function raiseOnErrorOf(options: { raiseOnError?: boolean }, what: string): boolean {
  checkOptionsObject(options, what);
  return checkBooleanOption(options.raiseOnError, what, "raiseOnError") ?? false;
}

const decorated = new WeakMap<object, TaskMeta>();

function resolveMeta(options: PeriodicTaskOptions, what: string): TaskMeta {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `Cannot ${what} as 'options' must be an object: current value is ${describeValue(options)}`,
    );
  }
  const {
    spacing = 0,
    runImmediately = false,
    name,
    externalProcessOk = false,
    enabled = true,
    exclusive,
  } = options;
  checkNumber(spacing, what, "spacing", "a finite number", Number.isFinite);
  for (const [key, value] of Object.entries({ runImmediately, externalProcessOk, enabled })) {
    checkBooleanOption(value, what, key);
  }
  if (name !== undefined && (typeof name !== "string" || name === "")) {
    throw new TypeError(
      `Cannot ${what} as 'name' must be a non-empty string: current value is ${
        describeValue(name)
      }`,
    );
  }
  const exclusiveOptions = resolveExclusive(exclusive, what);
  // Refused here, not at every tick: the claim of each tick would fail (and be logged) forever.
  if (exclusiveOptions !== undefined && spacing > 0) {
    checkNumber(
      spacing,
      what,
      "spacing",
      `at least ${MIN_INTERVAL_MS} ms for an exclusive task (or 0 for the default, or negative to disable it)`,
      (n) => n >= MIN_INTERVAL_MS,
    );
  }
  return {
    spacing: spacing === 0 ? DEFAULT_PERIODIC_SPACING : spacing,
    runImmediately,
    name,
    externalProcessOk,
    enabled,
    exclusive: exclusiveOptions,
  };
}

let register: (
  instance: PeriodicTasks,
  fn: PeriodicTaskFn,
  meta: TaskMeta,
  key: string | symbol,
) => void;

/**
 * Marks a method of a {@linkcode PeriodicTasks} subclass as a periodic task (a TC39 method
 * decorator, no compiler flag needed). The task is registered on each instance when it is
 * constructed; its first run is `spacing` ms after construction, or at the first
 * `runPeriodicTasks()` with `runImmediately`. The method is looked up on the instance at each
 * run, so a subclass's override runs in its place; decorating the override too replaces the
 * parent's options (in the parent's position in the run order), and an override decorated with
 * `enabled: false` removes the task.
 *
 * @param options `spacing` (ms), `runImmediately`, `name`, `externalProcessOk`, `enabled`,
 *   `exclusive`.
 * @returns The decorator.
 * @throws {RangeError} When `spacing` is a number but not a finite one, or, for an `exclusive`
 *   task, a positive one below 0.001 ms (too short to number its ticks exactly).
 * @throws {TypeError} When an option has the wrong type (`spacing` not a number included), or the decorator is put on anything
 *   but an instance method; at construction, for an `exclusive` task without a coordinator.
 *
 * @example
 * ```ts
 * import { FakeClock, PeriodicTasks, periodicTask } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * class Tasks extends PeriodicTasks {
 *   runs = 0;
 *   @periodicTask({ spacing: 1000, runImmediately: true })
 *   heartbeat(): void {
 *     this.runs++;
 *   }
 * }
 * using clock = new FakeClock();
 * const tasks = new Tasks(undefined, { clock });
 * assert.equal(await tasks.runPeriodicTasks(), 1000);
 * assert.equal(tasks.runs, 1);
 * ```
 *
 * @example On one member of the fleet per tick, with the tick's fencing token
 * ```ts
 * import { connect, type Coordinator, type ExclusiveTick } from "@fjord/fjord/coord";
 * import { PeriodicTasks, periodicTask } from "@fjord/fjord/service";
 * import assert from "node:assert/strict";
 *
 * class Billing extends PeriodicTasks {
 *   tokens: bigint[] = [];
 *   constructor(coordinator: Coordinator) {
 *     super(undefined, { coordinator });
 *   }
 *   @periodicTask({ spacing: 60_000, runImmediately: true, exclusive: true })
 *   rollup(_context: unknown, tick?: ExclusiveTick): void {
 *     this.tokens.push(tick!.token); // hand it to the resource with every write
 *   }
 * }
 * // etcd:// or redis:// across hosts; memory:// is shared by this process only.
 * await using a = await connect("memory://billing-example");
 * await using b = await connect("memory://billing-example");
 * const members = [new Billing(a), new Billing(b)];
 * await Promise.all(members.map((m) => m.runPeriodicTasks()));
 * assert.equal(members[0]!.tokens.length + members[1]!.tokens.length, 1);
 * ```
 */
export function periodicTask(
  options: PeriodicTaskOptions = {},
): <This, A extends unknown[], R>(
  method: (this: This, ...args: A) => R,
  context: ClassMethodDecoratorContext<This>,
) => void {
  const meta = resolveMeta(options, "use periodicTask");
  return <This, A extends unknown[], R>(
    method: (this: This, ...args: A) => R,
    context: ClassMethodDecoratorContext<This>,
  ): void => {
    if (context?.kind !== "method" || context.static) {
      throw new TypeError("Cannot use periodicTask as it only decorates instance methods");
    }
    const taskMeta: TaskMeta = { ...meta, name: meta.name ?? String(context.name) };
    decorated.set(method, taskMeta);
    context.addInitializer(function (this: This): void {
      if (!(this instanceof PeriodicTasks)) {
        throw new TypeError(
          `Cannot register periodic task '${taskMeta.name}' as its class does not extend PeriodicTasks`,
        );
      }
      register(this, method as unknown as PeriodicTaskFn, taskMeta, context.name);
    });
  };
}

/**
 * Options for the {@linkcode PeriodicTasks} constructor.
 *
 * @example
 * ```ts
 * import { FakeClock, PeriodicTasks, type PeriodicTasksOptions } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * class Tasks extends PeriodicTasks {}
 * using clock = new FakeClock();
 * const options: PeriodicTasksOptions = { clock, random: () => 0 };
 * assert.equal(await new Tasks(undefined, options).runPeriodicTasks(), 60_000);
 * ```
 */
export interface PeriodicTasksOptions {
  /**
   * The clock that decides when tasks are due.
   *
   * @default {systemClock}
   */
  clock?: Clock;
  /**
   * A uniform random source in [0, 1) for oslo's jitter (0–5 % of the spacing, in whole
   * seconds, so none below 20 s).
   *
   * @default {Math.random}
   */
  random?: () => number;
  /**
   * The coordinator of the `exclusive` tasks that do not name their own
   * ({@linkcode ExclusivePeriodicTaskOptions.coordinator}).
   */
  coordinator?: Coordinator;
}

/**
 * Options for {@linkcode PeriodicTasks.runPeriodicTasks}.
 *
 * @example
 * ```ts
 * import { FakeClock, PeriodicTasks, type RunPeriodicTasksOptions } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * class Tasks extends PeriodicTasks {}
 * using clock = new FakeClock();
 * const tasks = new Tasks(undefined, { clock });
 * tasks.addPeriodicTask(() => {
 *   throw new Error("broken");
 * }, { runImmediately: true });
 * const options: RunPeriodicTasksOptions = { raiseOnError: true };
 * await assert.rejects(tasks.runPeriodicTasks(undefined, options), { message: "broken" });
 * ```
 */
export interface RunPeriodicTasksOptions {
  /**
   * `true`: a task's error rejects the run (later tasks do not run). `false`: it is logged as
   * "Error during Class.name" and the run goes on.
   *
   * @default {false}
   */
  raiseOnError?: boolean;
}

/**
 * Options for {@linkcode PeriodicTasks.runPeriodicTasksInParallel}.
 *
 * @example
 * ```ts
 * import { PeriodicTasks, type RunPeriodicTasksInParallelOptions } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * class Tasks extends PeriodicTasks {}
 * const options: RunPeriodicTasksInParallelOptions = { maxConcurrency: 2 };
 * assert.equal(await new Tasks().runPeriodicTasksInParallel(undefined, options), 60_000);
 * ```
 */
export interface RunPeriodicTasksInParallelOptions extends RunPeriodicTasksOptions {
  /**
   * The most tasks running at once.
   *
   * @default {Infinity}
   */
  maxConcurrency?: number;
}

/**
 * The base of a class whose {@linkcode periodicTask}-decorated methods run when due. Call
 * {@linkcode PeriodicTasks.runPeriodicTasks} from a loop; it returns the ms until the next task
 * is due, which suits {@linkcode ThreadGroup.addDynamicTimer}.
 *
 * Given a `Config`, the constructor registers `[DEFAULT] run_external_periodic_tasks` on it and
 * reads it at every run; without one, external tasks run.
 *
 * @example Driving the tasks from a dynamic timer
 * ```ts
 * import { FakeClock, PeriodicTasks, periodicTask, ThreadGroup } from "@fjord/fjord";
 * import assert from "node:assert/strict";
 *
 * class Manager extends PeriodicTasks {
 *   reports = 0;
 *   @periodicTask({ spacing: 500 })
 *   async report(): Promise<void> {
 *     this.reports++;
 *   }
 * }
 * using clock = new FakeClock();
 * const manager = new Manager(undefined, { clock });
 * const tg = new ThreadGroup({ clock });
 * tg.addDynamicTimer(() => manager.runPeriodicTasks(), { periodicIntervalMax: 1000 });
 * await clock.tickAsync(1600);
 * await tg.stop();
 * assert.equal(manager.reports, 3);
 * ```
 */
export abstract class PeriodicTasks {
  static {
    register = (instance, fn, meta, key) => instance.#add(fn, meta, key);
  }

  #tasks: TaskEntry[] = [];
  #conf: Config | undefined;
  #clock: Clock;
  #random: () => number;
  #coordinator: Coordinator | undefined;

  /**
   * Creates the task set; decorated methods are registered right after this constructor.
   *
   * @param conf Where `run_external_periodic_tasks` is registered and read.
   * @param options `clock`, `random`, `coordinator`.
   * @throws {TypeError} When `conf` is not a Config, `options` is not an object, `random` is not
   *   a function, `coordinator` is not a Coordinator or `clock` is not a Clock.
   */
  constructor(conf?: Config, options: PeriodicTasksOptions = {}) {
    checkOptionsObject(options, "create PeriodicTasks");
    const { clock = systemClock, random = Math.random, coordinator } = options;
    checkClock(clock, "create PeriodicTasks");
    if (typeof random !== "function") {
      throw new TypeError(
        `Cannot create PeriodicTasks as 'random' must be a function: current value is ${
          describeValue(random)
        }`,
      );
    }
    // null failed later, at every run of an external task, even with raiseOnError: false.
    checkConfigOption(conf, "create PeriodicTasks");
    if (coordinator !== undefined && !isCoordinator(coordinator)) {
      throw new TypeError(
        `Cannot create PeriodicTasks as 'coordinator' must be a Coordinator from connect(): current value is ${
          describeValue(coordinator)
        }`,
      );
    }
    this.#coordinator = coordinator;
    this.#clock = clock;
    this.#random = random;
    this.#conf = conf;
    conf?.registerOpts(periodicTaskOpts);
  }

  /**
   * Adds a task to this instance at run time (its first run is `spacing` after now, or at
   * the next run with `runImmediately`).
   *
   * @param fn The task, called as `fn.call(this, context)`; a decorated method keeps its
   *   decorator's options unless `options` is given.
   * @param options The task's options (as for {@linkcode periodicTask}).
   * @throws {TypeError} When `fn` is not a function, an option has the wrong type, or an
   *   `exclusive` task has no coordinator.
   * @throws {RangeError} When `spacing` is a number but not a finite one, or, for an `exclusive`
   *   task, a positive one below 0.001 ms (too short to number its ticks exactly).
   */
  addPeriodicTask(fn: PeriodicTaskFn, options?: PeriodicTaskOptions): void {
    if (typeof fn !== "function") {
      throw new TypeError(
        `Cannot add periodic task as 'fn' must be a function: current value is ${
          describeValue(fn)
        }`,
      );
    }
    const meta = options === undefined
      ? decorated.get(fn) ?? resolveMeta({}, "add periodic task")
      : resolveMeta(options, "add periodic task");
    this.#add(fn, meta);
  }

  /**
   * Runs every task that is due, one after another, in registration order.
   *
   * @param context Passed to each task.
   * @param options `raiseOnError`.
   * @returns The milliseconds until the next task is due (at most 60000).
   * @throws {TypeError} When `options` is not an object or `raiseOnError` not a boolean.
   * @throws {unknown} A task's error, with `raiseOnError` (rejects).
   */
  runPeriodicTasks(context?: unknown, options: RunPeriodicTasksOptions = {}): Promise<number> {
    return this.#runSerial(context, raiseOnErrorOf(options, "run periodic tasks"));
  }

  async #runSerial(context: unknown, raiseOnError: boolean): Promise<number> {
    let idle = DEFAULT_PERIODIC_SPACING;
    for (const task of [...this.#tasks]) {
      // Read per task: one that fell due while an earlier one ran runs in this round too.
      const now = this.#clock.now();
      const left = this.#left(task, now);
      if (left === undefined) continue;
      idle = Math.min(idle, task.spacing, left > 0 ? left : Infinity);
      if (left > 0) continue;
      this.#markRun(task, now);
      const failed = await this.#runOne(task, context, () => !raiseOnError);
      if (failed !== undefined && raiseOnError) throw failed.error;
    }
    return idle;
  }

  /**
   * Runs every task that is due at the same time (oslo's `run_periodic_tasks_in_parallel`), at
   * most `maxConcurrency` at once, and resolves once all of them have settled. The tasks run as
   * async tasks of this isolate (oslo uses a process pool): a task that needs another core hands
   * its work to a pool executor itself.
   *
   * @example Two slow tasks overlap
   * ```ts
   * import { FakeClock, PeriodicTasks } from "@fjord/fjord";
   * import assert from "node:assert/strict";
   *
   * class Tasks extends PeriodicTasks {}
   * using clock = new FakeClock();
   * const tasks = new Tasks(undefined, { clock });
   * const order: string[] = [];
   * for (const name of ["a", "b"]) {
   *   tasks.addPeriodicTask(async () => {
   *     order.push(`${name} start`);
   *     await clock.sleep(100);
   *     order.push(`${name} end`);
   *   }, { runImmediately: true, spacing: 1000 });
   * }
   * const run = tasks.runPeriodicTasksInParallel();
   * await clock.tickAsync(100);
   * assert.equal(await run, 1000);
   * assert.deepEqual(order, ["a start", "b start", "a end", "b end"]);
   * ```
   *
   * @param context Passed to each task.
   * @param options `raiseOnError`, `maxConcurrency`.
   * @returns The milliseconds until the next task is due (at most 60000).
   * @throws {RangeError} When `maxConcurrency` is a number but not a positive integer (at the
   *   call).
   * @throws {TypeError} When `options` is not an object, `raiseOnError` not a boolean or
   *   `maxConcurrency` not a number.
   * @throws {unknown} With `raiseOnError`, the first error in the order the tasks failed
   *   (rejects, after every started task has settled).
   */
  runPeriodicTasksInParallel(
    context?: unknown,
    options: RunPeriodicTasksInParallelOptions = {},
  ): Promise<number> {
    const raiseOnError = raiseOnErrorOf(options, "run periodic tasks");
    const limit = checkNumber(
      options.maxConcurrency ?? Infinity,
      "run periodic tasks",
      "maxConcurrency",
      "a positive integer",
      (n) => n === Infinity || (Number.isInteger(n) && n >= 1),
    );
    return this.#runParallel(context, raiseOnError, limit);
  }

  async #runParallel(context: unknown, raiseOnError: boolean, limit: number): Promise<number> {
    const { due, idle } = this.#due();
    if (due.length === 0) return idle;
    const now = this.#clock.now();
    for (const task of due) this.#markRun(task, now);
    const failures: { error: unknown }[] = [];
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < due.length) {
        // With raiseOnError the first failure is thrown and only the later ones are logged.
        const task = due[next++]!;
        const failed = await this.#runOne(
          task,
          context,
          () => !raiseOnError || failures.length > 0,
        );
        if (failed !== undefined) failures.push(failed);
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, due.length) }, lane));
    if (raiseOnError && failures.length > 0) throw failures[0]!.error;
    return idle;
  }

  /** The tasks due now, in registration order, and the ms until the next one not due. */
  #due(): { due: TaskEntry[]; idle: number } {
    let idle = DEFAULT_PERIODIC_SPACING;
    const due: TaskEntry[] = [];
    const now = this.#clock.now();
    for (const task of this.#tasks) {
      const left = this.#left(task, now);
      if (left === undefined) continue;
      idle = Math.min(idle, task.spacing, left > 0 ? left : Infinity);
      if (left <= 0) due.push(task);
    }
    return { due, idle };
  }

  /** Ms until `task` is due (<= 0: due now); undefined when external tasks are off. */
  #left(task: TaskEntry, now: number): number | undefined {
    if (task.externalProcessOk && !this.#runExternal()) return undefined;
    if (task.exclusive !== undefined) {
      // Due at the next wall-clock boundary after the last tick tried, like every other member.
      return task.lastTick === undefined ? 0 : (task.lastTick + 1) * task.spacing - Date.now();
    }
    return task.lastRun === undefined ? 0 : task.lastRun + task.spacing - now;
  }

  /** Records that `task` runs now: its grid point, or the wall-clock tick it will claim. */
  #markRun(task: TaskEntry, now: number): void {
    if (task.exclusive !== undefined) task.lastTick = Math.floor(Date.now() / task.spacing);
    else task.lastRun = this.#nearestBoundary(task.lastRun, task.spacing, now);
  }

  /** Runs one task; its error is returned (wrapped: a task may throw undefined), and logged. */
  async #runOne(
    task: TaskEntry,
    context: unknown,
    logError: () => boolean,
  ): Promise<{ error: unknown } | undefined> {
    const className = this.constructor.name;
    const log = getLogger();
    log.debug(`Running periodic task ${className}.${task.name}`);
    const method = task.key === undefined ? undefined : Reflect.get(this, task.key);
    const fn = typeof method === "function" ? method as PeriodicTaskFn : task.fn;
    try {
      const exclusive = task.exclusive;
      if (exclusive === undefined) {
        await fn.call(this, context);
        return undefined;
      }
      // A failed claim (engine unreachable, session lost) counts as the task's failure.
      const { claimExclusiveTick } =
        await (exclusiveClaim ??= import("../coord/run_exclusive_periodic.ts"));
      const tick = await claimExclusiveTick(exclusive.coordinator, exclusive.name, task.spacing, {
        index: task.lastTick!,
      });
      if (tick === undefined) {
        log.debug(
          `Skipping periodic task ${className}.${task.name}: tick ${task.lastTick} runs on another member`,
        );
        return undefined;
      }
      await fn.call(this, context, tick);
      return undefined;
    } catch (error) {
      if (logError()) log.error(`Error during ${className}.${task.name}`, error);
      return { error };
    }
  }

  #runExternal(): boolean {
    return this.#conf === undefined ? true : this.#conf.get<boolean>("run_external_periodic_tasks");
  }

  // Keeps runs on a grid anchored at the first run: missed periods are skipped, not replayed.
  #nearestBoundary(lastRun: number | undefined, spacing: number, now: number): number {
    if (lastRun === undefined) return now;
    // A NaN or negative value ran the task at every run.
    const u = unitRandom(this.#random(), "schedule a periodic task");
    const jitterMs = Math.trunc((spacing / 1000) * u / 20) * 1000;
    return now - ((now - lastRun) % spacing) + jitterMs;
  }

  #add(fn: PeriodicTaskFn, meta: TaskMeta, key?: string | symbol): void {
    // A decorated override replaces its parent's task, in the parent's place (oslo would run
    // both, and the parent's twice when the override calls super).
    let at = key === undefined ? -1 : this.#tasks.findIndex((task) => task.key === key);
    if (at >= 0) this.#tasks.splice(at, 1);
    else at = this.#tasks.length;
    const name = meta.name ?? (fn.name || "<anonymous>");
    if (meta.spacing < 0) {
      getLogger().info(`Skipping periodic task ${name} because its interval is negative`);
      return;
    }
    if (!meta.enabled) {
      getLogger().info(`Skipping periodic task ${name} because it is disabled`);
      return;
    }
    let exclusive: Exclusive | undefined;
    if (meta.exclusive !== undefined) {
      const coordinator = meta.exclusive.coordinator ?? this.#coordinator;
      if (coordinator === undefined) {
        throw new TypeError(
          `Cannot register periodic task '${name}' as it is exclusive and neither 'exclusive.coordinator' nor the PeriodicTasks option 'coordinator' is given`,
        );
      }
      exclusive = { coordinator, name: meta.exclusive.name ?? `${this.constructor.name}.${name}` };
    }
    this.#tasks.splice(at, 0, {
      fn,
      key,
      name,
      spacing: meta.spacing,
      externalProcessOk: meta.externalProcessOk,
      lastRun: meta.runImmediately ? undefined : this.#clock.now(),
      exclusive,
      lastTick: meta.runImmediately || exclusive === undefined
        ? undefined
        : Math.floor(Date.now() / meta.spacing),
    });
  }
}
