// periodicTask({ exclusive }): each wall-clock tick of a task runs on exactly one member, which
// gets the tick's fencing token; on memory:// and on the real etcd and Redis servers (skipped
// with a message when none answers outside CI), including a member SIGKILLed mid-schedule.

import assert from "node:assert/strict";
import { connect, type Coordinator, type ExclusiveTick } from "../../coord/mod.ts";
import { periodicTask, PeriodicTasks } from "../../service/mod.ts";
import { engines, fresh } from "../coord/_servers.ts";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Run {
  member: number;
  index: number;
  token: bigint;
}

class Member extends PeriodicTasks {
  constructor(coordinator: Coordinator, name: string, spacing: number, runs: Run[], id: number) {
    super(undefined, { coordinator });
    this.addPeriodicTask((_context: unknown, tick?: ExclusiveTick) => {
      assert.equal(tick!.signal.aborted, false);
      runs.push({ member: id, index: tick!.index, token: tick!.token });
    }, { spacing, exclusive: { name } });
  }
}

/** Calls `run` whenever the tasks say, until `ms` have passed. */
async function drive(run: () => Promise<number>, ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const idle = await run();
    await sleep(Math.max(1, Math.min(idle, end - performance.now())));
  }
}

function assertOnePerTick(runs: Run[]): void {
  const indexes = runs.map((r) => r.index);
  assert.equal(new Set(indexes).size, indexes.length, `a tick ran twice: ${indexes}`);
  const byIndex = [...runs].sort((a, b) => a.index - b.index);
  for (let i = 1; i < byIndex.length; i++) {
    assert.ok(byIndex[i]!.token > byIndex[i - 1]!.token, "tokens increase with the ticks");
  }
}

for (const engine of engines) {
  const ttl = engine.name === "etcd" ? 2_000 : 1_000;
  const opts = { ignore: !engine.available };

  Deno.test(
    `periodicTask ${engine.name}: an exclusive task runs each tick on exactly one of the members`,
    opts,
    async () => {
      const coords = [await connect(engine.url, { ttl }), await connect(engine.url, { ttl })];
      const name = fresh("exclusive");
      const runs: Run[] = [];
      try {
        const members = coords.map((c, i) => new Member(c, name, 100, runs, i));
        await Promise.all([
          drive(() => members[0]!.runPeriodicTasks(), 1_250),
          drive(() => members[1]!.runPeriodicTasksInParallel(), 1_250),
        ]);
      } finally {
        for (const c of coords) await c.close();
      }
      assertOnePerTick(runs);
      // 12 ticks pass; a loaded machine may miss some, never run one twice.
      assert.ok(runs.length >= 4 && runs.length <= 13, `${runs.length} runs`);
    },
  );
}

Deno.test("periodicTask: the exclusive tick reaches a decorated method after the context", async () => {
  await using a = await connect("memory://exclusive-decorated");
  await using b = await connect("memory://exclusive-decorated");
  const seen: [string, unknown, ExclusiveTick | undefined][] = [];
  class Report extends PeriodicTasks {
    constructor(readonly id: string, coordinator: Coordinator) {
      super(undefined, { coordinator });
    }
    @periodicTask({ spacing: 3_600_000, runImmediately: true, exclusive: true })
    hourly(context: unknown, tick?: ExclusiveTick): void {
      seen.push([this.id, context, tick]);
    }
    @periodicTask({ spacing: 3_600_000, runImmediately: true })
    everywhere(context: unknown, tick?: ExclusiveTick): void {
      seen.push([`${this.id}-plain`, context, tick]);
    }
  }
  const [x, y] = [new Report("x", a), new Report("y", b)];
  const hour = Math.floor(Date.now() / 3_600_000);
  await x.runPeriodicTasks("ctx");
  await y.runPeriodicTasks("ctx");
  assert.deepEqual(seen.map(([id]) => id), ["x", "x-plain", "y-plain"]);
  const tick = seen[0]![2]!;
  assert.equal(seen[0]![1], "ctx");
  assert.ok(tick.index === hour || tick.index === hour + 1, `${tick.index}`);
  assert.equal(typeof tick.token, "bigint");
  assert.equal(seen[1]![2], undefined);
  // Both members waited for the next hour; neither is due now.
  assert.ok(await x.runPeriodicTasks() > 0);
  assert.equal(seen.length, 3);
});

Deno.test("periodicTask: the exclusive task's default name is <class>.<task>, shared by same-class members", async () => {
  await using a = await connect("memory://exclusive-names");
  await using b = await connect("memory://exclusive-names");
  let runs = 0;
  class Sweep extends PeriodicTasks {}
  class Other extends PeriodicTasks {}
  const make = (C: typeof Sweep, c: Coordinator): PeriodicTasks => {
    const t = new C(undefined, { coordinator: c });
    t.addPeriodicTask(function sweep(): void {
      runs++;
    }, { spacing: 3_600_000, runImmediately: true, exclusive: true });
    return t;
  };
  await make(Sweep, a).runPeriodicTasks();
  await make(Sweep, b).runPeriodicTasks();
  assert.equal(runs, 1);
  await make(Other, b).runPeriodicTasks(); // "Other.sweep" is another task
  assert.equal(runs, 2);
});

Deno.test("periodicTask: an exclusive task without a coordinator, or a bad exclusive option, is a TypeError", async () => {
  class Tasks extends PeriodicTasks {}
  assert.throws(
    () => new Tasks().addPeriodicTask(() => {}, { exclusive: true }),
    { name: "TypeError", message: /exclusive and neither 'exclusive.coordinator' nor/ },
  );
  class Decorated extends PeriodicTasks {
    @periodicTask({ exclusive: {} })
    job(): void {}
  }
  assert.throws(() => new Decorated(), TypeError);
  assert.throws(
    () => periodicTask({ exclusive: "yes" as unknown as boolean }),
    { name: "TypeError", message: /'exclusive' must be a boolean or an object/ },
  );
  assert.throws(
    () => periodicTask({ exclusive: { name: "" } }),
    { name: "TypeError", message: /'exclusive.name' must be a non-empty string/ },
  );
  assert.throws(
    () => periodicTask({ exclusive: { coordinator: {} as Coordinator } }),
    { name: "TypeError", message: /'exclusive.coordinator' must be a Coordinator/ },
  );
  assert.throws(
    () => new Tasks(undefined, { coordinator: 1 as unknown as Coordinator }),
    { name: "TypeError", message: /'coordinator' must be a Coordinator/ },
  );
  await using c = await connect("memory://exclusive-args");
  const ok = new Tasks(undefined, { coordinator: c });
  ok.addPeriodicTask(() => {}, { exclusive: false }); // plain task
});

Deno.test("periodicTask: an exclusive task with a spacing too short to number its ticks is refused when added, naming 'spacing'", async () => {
  await using coordinator = await connect("memory://exclusive-spacing");
  class Tasks extends PeriodicTasks {}
  const tasks = new Tasks(undefined, { coordinator });
  const shortSpacing = { name: "RangeError", message: /'spacing' must be at least 0\.001 ms/ };
  assert.throws(
    () => tasks.addPeriodicTask(() => {}, { spacing: 0.0001, exclusive: true }),
    shortSpacing,
  );
  assert.throws(() => periodicTask({ spacing: 1e-9, exclusive: true }), shortSpacing);
  // The same spacing without `exclusive` numbers no ticks, and the floor itself is accepted.
  tasks.addPeriodicTask(() => {}, { spacing: 0.0001 });
  tasks.addPeriodicTask(() => {}, { spacing: 0.001, exclusive: true });
  // 0 is the default spacing and a negative one disables the task: neither numbers ticks.
  tasks.addPeriodicTask(() => {}, { spacing: 0, exclusive: true });
  tasks.addPeriodicTask(() => {}, { spacing: -1, exclusive: true });
});

Deno.test("periodicTask: an exclusive task whose coordinator closed fails like a task error", async () => {
  const coordinator = await connect("memory://exclusive-closed");
  class Tasks extends PeriodicTasks {}
  const tasks = new Tasks(undefined, { coordinator });
  let runs = 0;
  tasks.addPeriodicTask(() => runs++, { runImmediately: true, exclusive: true });
  await coordinator.close();
  await assert.rejects(
    tasks.runPeriodicTasks(undefined, { raiseOnError: true }),
    { name: "CoordinatorUnavailableError" },
  );
  assert.equal(runs, 0);
});

// A real fault: two `deno run` members; one is SIGKILLed and the survivor runs the next ticks.
const fixture = new URL("./_fixtures/exclusive_member.ts", import.meta.url).pathname;

interface MemberProcess {
  lines: string[];
  ticks(): Run[];
  kill(): Promise<void>;
}

function spawnMember(
  url: string,
  ttl: number,
  name: string,
  spacing: number,
  id: number,
): MemberProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-env",
      "--allow-read",
      fixture,
      url,
      `${ttl}`,
      name,
      `${spacing}`,
    ],
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const lines: string[] = [];
  const pump = (async () => {
    let buffered = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        lines.push(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
    }
  })();
  let exited = false;
  const status = child.status.finally(() => exited = true);
  const process: MemberProcess = {
    lines,
    ticks: () =>
      lines.filter((l) => l.startsWith("tick ")).map((l) => {
        const [, index, token] = l.split(" ") as [string, string, string];
        return { member: id, index: Number(index), token: BigInt(token) };
      }),
    async kill(): Promise<void> {
      if (!exited) {
        try {
          child.kill("SIGKILL");
        } catch {
          // already gone
        }
      }
      await status;
      await pump;
    },
  };
  return process;
}

async function until(cond: () => boolean, what: string, ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

for (const engine of engines.filter((e) => e.name !== "memory")) {
  const ttl = engine.name === "etcd" ? 2_000 : 1_000;
  Deno.test(
    `periodicTask ${engine.name}: when a member is SIGKILLed the survivor runs the next ticks, none twice`,
    { ignore: !engine.available },
    async () => {
      const name = fresh("exclusive-kill");
      const spacing = 200;
      const members = [0, 1].map((i) => spawnMember(engine.url, ttl, name, spacing, i));
      try {
        const all = (): Run[] => members.flatMap((m) => m.ticks());
        await until(() => members.every((m) => m.lines.includes("ready")), "both ready", 30_000);
        await until(() => all().length >= 5, "five ticks", 30_000);
        // Kill the member that ran the latest tick; the other must carry on.
        const latest = all().reduce((a, b) => (b.index > a.index ? b : a));
        const victim = members[latest.member]!;
        const survivor = members[1 - latest.member]!;
        await victim.kill();
        const killedAfter = Math.max(...all().map((r) => r.index));
        await until(
          () => survivor.ticks().filter((r) => r.index > killedAfter).length >= 3,
          "three ticks on the survivor",
          10_000,
        );
        assertOnePerTick(all());
      } finally {
        for (const m of members) await m.kill();
      }
    },
  );
}
