// W4 inter-process lock (peer kit definition, see ../shared/peers/python/w4_interprocess_lock.py):
// 4 processes x 300 lock-protected increments of one counter file. Each iteration: lock ->
// read the 10-digit counter at offset 0 -> +1 -> write at offset 0 -> release. Final value must
// be exactly 1200.
//
// Children are child Deno processes released together (a byte on stdin once all printed
// "ready"); each records performance.timeOrigin + performance.now() right after the release and
// after its last iteration. Metric: 1200 / (max(end) - min(start)) acquisitions/s. Trials
// repeat per repeat() (fresh temp dir each, every trial verified), the median is reported.
//
// Peers: fjord.lock(name, {external: true, lockPath}) as shipped (no timeout: the kernel-blocking
// wait), the same with a timeout (which switches the wait to polling with oslo's backoff), and
// the raw Deno floor: open + tryLockSync, else the blocking lock() + unlock + close.
//
// Run: deno run --allow-read --allow-write --allow-run bench/w4_interprocess_lock.ts
import { lock } from "../lock/mod.ts";
import { check, emit, log, median, repeat } from "./_common.ts";

const PROCS = 4;
const ITERS = 300;
const WIDTH = 10;

async function child(dir: string, mode: string): Promise<void> {
  const counter = Deno.openSync(`${dir}/counter`, { read: true, write: true });
  const buf = new Uint8Array(WIDTH);
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const opts = mode === "polling"
    ? { external: true, lockPath: dir, timeout: 60_000 }
    : { external: true, lockPath: dir };
  // deno-lint-ignore no-console
  console.log("ready");
  await Deno.stdin.read(new Uint8Array(1));
  const t0 = performance.timeOrigin + performance.now();
  if (mode === "raw") {
    // The floor: the same open + tryLock/lock + unlock + close sequence without fjord.
    for (let i = 0; i < ITERS; i++) {
      const file = Deno.openSync(`${dir}/w4`, { write: true, create: true });
      if (!file.tryLockSync(true)) await file.lock(true);
      counter.seekSync(0, Deno.SeekMode.Start);
      check(counter.readSync(buf) === WIDTH, "short read");
      const v = Number(dec.decode(buf)) + 1;
      counter.seekSync(0, Deno.SeekMode.Start);
      check(
        counter.writeSync(enc.encode(String(v).padStart(WIDTH, "0"))) === WIDTH,
        "short write",
      );
      file.unlockSync();
      file.close();
    }
  }
  for (let i = 0; mode !== "raw" && i < ITERS; i++) {
    const held = await lock("w4", opts);
    counter.seekSync(0, Deno.SeekMode.Start);
    check(counter.readSync(buf) === WIDTH, "short read");
    const v = Number(dec.decode(buf)) + 1;
    counter.seekSync(0, Deno.SeekMode.Start);
    check(counter.writeSync(enc.encode(String(v).padStart(WIDTH, "0"))) === WIDTH, "short write");
    await held.release();
  }
  const t1 = performance.timeOrigin + performance.now();
  counter.close();
  // deno-lint-ignore no-console
  console.log(JSON.stringify({ t0, t1 }));
}

async function trial(peer: string, mode: string): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "w4-" });
  try {
    await Deno.writeTextFile(`${dir}/counter`, "0".repeat(WIDTH));
    const kids = Array.from({ length: PROCS }, () =>
      new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          `--allow-read=${dir}`,
          `--allow-write=${dir}`,
          new URL(import.meta.url).pathname,
          "child",
          dir,
          mode,
        ],
        stdin: "piped",
        stdout: "piped",
      }).spawn());
    const [outs, readies] = [kids.map(() => ""), kids.map(() => Promise.withResolvers<void>())];
    const all = kids.map(async (k, i) => {
      const reader = k.stdout.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        outs[i] += value;
        if (outs[i]!.startsWith("ready\n")) readies[i]!.resolve();
      }
      readies[i]!.reject(new Error(`${peer}: child ${i} exited before ready`));
    });
    await Promise.all(readies.map((r) => r.promise));
    for (const k of kids) {
      const w = k.stdin.getWriter();
      await w.write(new Uint8Array([10]));
      await w.close();
    }
    await Promise.all(all);
    const codes = (await Promise.all(kids.map((k) => k.status))).map((s) => s.code);
    check(codes.every((c) => c === 0), `${peer}: child exit codes ${codes}`);
    const times = outs.map((o) => JSON.parse(o.split("\n")[1]!) as { t0: number; t1: number });
    const final = Number(await Deno.readTextFile(`${dir}/counter`));
    check(final === PROCS * ITERS, `${peer}: final ${final} != ${PROCS * ITERS}`);
    const wall = (Math.max(...times.map((t) => t.t1)) - Math.min(...times.map((t) => t.t0))) /
      1000;
    log(`${peer}: ${PROCS * ITERS} acquisitions in ${wall.toFixed(4)}s, final=${final}`);
    return wall;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function run(peer: string, mode: string): Promise<void> {
  const wall = median(await repeat(() => trial(peer, mode)));
  emit(peer, "W4", "acquisitions_per_s", (PROCS * ITERS) / wall, "acq/s");
  emit(peer, "W4", "wall_s", wall, "s");
}

if (Deno.args[0] === "child") {
  await child(Deno.args[1]!, Deno.args[2]!);
} else {
  await run("fjord.lock(external)", "blocking");
  await run("fjord.lock(external, timeout: polling wait)", "polling");
  await run("deno FsFile.tryLockSync/lock (floor)", "raw");
}
