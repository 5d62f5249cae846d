import assert from "node:assert/strict";
import { isServiceBase, Service, type ServiceBase, Services } from "@fjord/fjord/service";

class Recorder implements ServiceBase {
  log: string[];
  name: string;
  failStart: boolean;
  constructor(name: string, log: string[], failStart = false) {
    this.name = name;
    this.log = log;
    this.failStart = failStart;
  }
  async start(): Promise<void> {
    await Promise.resolve();
    this.log.push(`start ${this.name}`);
    if (this.failStart) throw new Error(`start ${this.name} failed`);
  }
  stop(options?: { graceful?: boolean }): void {
    this.log.push(`stop ${this.name} graceful=${options?.graceful}`);
  }
  wait(): void {
    this.log.push(`wait ${this.name}`);
  }
  reset(): void {
    this.log.push(`reset ${this.name}`);
  }
}

Deno.test("Service.stop() stops its ThreadGroup's timers and threads; wait() then resolves", async () => {
  const svc = new Service({ threads: 2 });
  assert.equal(svc.tg.maxThreads, 2);
  let ticks = 0;
  svc.tg.addTimer(5, () => {
    ticks++;
  });
  const thread = svc.tg.addThread(async (ctx: { signal: AbortSignal }) => {
    await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
  });
  await svc.start();
  await svc.stop();
  await svc.wait();
  await thread.wait().catch(() => {});
  assert.equal(svc.tg.timers.length, 0);
  assert.equal(svc.tg.threads.length, 0);
  await svc.reset();
  assert.ok(ticks >= 0);
});

Deno.test("Service constructor rejects a bad thread count", () => {
  assert.throws(() => new Service({ threads: 0 }), RangeError);
});

Deno.test("isServiceBase() needs start, stop, wait and reset", () => {
  assert.ok(isServiceBase(new Service()));
  assert.ok(!isServiceBase({ start(): void {}, stop(): void {}, wait(): void {} }));
  assert.ok(!isServiceBase(null));
});

Deno.test("Services.add() starts each service; stop() stops them in order; wait() resolves after", async () => {
  const log: string[] = [];
  const services = new Services();
  services.add(new Recorder("a", log));
  services.add(new Recorder("b", log));
  let waited = false;
  const waiting = services.wait().then(() => {
    waited = true;
  });
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(waited, false);
  assert.deepEqual(log, ["start a", "start b", "wait a", "wait b"]);
  await services.stop({ graceful: true });
  await waiting;
  assert.deepEqual(log.slice(4), ["stop a graceful=true", "stop b graceful=true"]);
});

Deno.test("Services.stop() defaults to non-graceful and is idempotent", async () => {
  const log: string[] = [];
  const services = new Services();
  services.add(new Recorder("a", log));
  const first = services.stop();
  assert.equal(services.stop(), first);
  await first;
  await services.wait();
  assert.ok(log.includes("stop a graceful=false"));
  assert.equal(log.filter((l) => l.startsWith("stop")).length, 1);
});

Deno.test("Services.wait() rejects with the error a start() threw", async () => {
  const services = new Services();
  services.add(new Recorder("bad", [], true));
  await assert.rejects(services.wait(), /start bad failed/);
  await services.stop();
});

Deno.test("Services.restart() with reload stops, resets and starts again", async () => {
  const log: string[] = [];
  const services = new Services({ restartMethod: "reload" });
  services.add(new Recorder("a", log));
  await new Promise((r) => setTimeout(r, 0));
  await services.restart();
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(log, ["start a", "stop a graceful=false", "reset a", "start a"]);
  await services.stop();
  await services.wait();
});

Deno.test("Services.stop() during a reload restart() keeps the services stopped", async () => {
  // Asked while restart() is stopping the services, and while it is resetting them.
  for (const phase of ["stop", "reset"] as const) {
    const log: string[] = [];
    const gate = Promise.withResolvers<void>();
    const svc = new Recorder("a", log);
    const recorded = { stop: svc.stop.bind(svc), reset: svc.reset.bind(svc) };
    svc[phase] = async (o?: { graceful?: boolean }) => {
      recorded[phase](o);
      await gate.promise;
    };
    const services = new Services({ restartMethod: "reload" });
    services.add(svc);
    await new Promise((r) => setTimeout(r, 0));
    const restarting = services.restart();
    await new Promise((r) => setTimeout(r, 0));
    const stopping = services.stop({ graceful: true });
    gate.resolve();
    await restarting;
    await stopping;
    await new Promise((r) => setTimeout(r, 0));
    const expected = phase === "stop"
      ? ["start a", "stop a graceful=false"]
      : ["start a", "stop a graceful=false", "reset a", "stop a graceful=true"];
    assert.deepEqual(log, expected, phase);
    await services.wait();
  }
});

Deno.test("Services.restart() with mutate only resets", async () => {
  const log: string[] = [];
  const services = new Services({ restartMethod: "mutate" });
  services.add(new Recorder("a", log));
  await new Promise((r) => setTimeout(r, 0));
  await services.restart();
  assert.deepEqual(log, ["start a", "reset a"]);
  await services.stop();
  await services.wait();
});

Deno.test("Services rejects a bad restart method and a non-service", () => {
  assert.throws(() => new Services({ restartMethod: "bounce" as "reload" }), TypeError);
  const services = new Services();
  assert.throws(() => services.add({} as ServiceBase), /must implement ServiceBase/);
});

Deno.test("Services.add() after stop() throws InvalidStateError instead of starting a service nobody stops", async () => {
  const log: string[] = [];
  const services = new Services();
  services.add(new Recorder("a", log));
  const stopping = services.stop();
  // Both while stopping and once stopped: the late service used to start, was never stopped,
  // and wait() waited for it.
  assert.throws(() => services.add(new Recorder("late", log)), {
    name: "InvalidStateError",
    message: "Cannot add service as the services were stopped",
  });
  await stopping;
  assert.throws(() => services.add(new Recorder("late", log)), { name: "InvalidStateError" });
  await services.wait();
  assert.ok(!log.some((line) => line.includes("late")), log.join(", "));
  // restart() starts the services again: adding is allowed again.
  await services.restart();
  services.add(new Recorder("b", log));
  await services.stop();
  await services.wait();
  assert.ok(log.includes("start b"), log.join(", "));
});

Deno.test("Services.stop() rejects a graceful flag that is not a boolean before stopping anything", async () => {
  const log: string[] = [];
  const services = new Services();
  services.add(new Recorder("a", log));
  // "no" used to reach every service's stop() as a truthy graceful.
  assert.throws(() => services.stop({ graceful: "no" as unknown as boolean }), {
    name: "TypeError",
    message: "Cannot stop services as 'graceful' must be a boolean: current value is string no",
  });
  assert.ok(!log.some((line) => line.startsWith("stop")), log.join(", "));
  await services.stop();
  await services.wait();
});
