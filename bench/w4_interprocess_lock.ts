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
// Peers: fjord.lock(name, {external: true, lockPath}) in the default "flock" mode (no timeout:
// the kernel-blocking wait), the same with a timeout (which switches the wait to polling with
// oslo's backoff), and in the lockf-compatible "fcntl" mode. Floors, measured in the same run
// with the same harness: open + tryLockSync, else the blocking lock() + unlock + close per
// acquisition; flock on a file kept open (tryLockSync, else lock()); and a Linux OFD record lock
// on a raw fd kept open, through FFI (F_OFD_SETLK, else F_OFD_SETLKW) - the floor of "fcntl".
// Ratio lines give each fjord row ÷ the kept-open flock floor of the same run.
//
// Run: deno run --allow-read --allow-write --allow-run bench/w4_interprocess_lock.ts
import { lock } from "../lock/mod.ts";
import { check, emit, intArg, log, median, repeat } from "./_common.ts";

// The FFI floor's own binding (not fjord's).
function ofdFloor(path: string): { lock(): Promise<void>; unlock(): void } {
  const c = Deno.dlopen("libc.so.6", {
    open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
    fcntl: { parameters: ["i32", "i32", "buffer"], result: "i32" },
    fcntlW: {
      name: "fcntl",
      parameters: ["i32", "i32", "buffer"],
      result: "i32",
      nonblocking: true,
    },
  }).symbols;
  const fd = c.open(new TextEncoder().encode(path + "\0"), 0o2102101, 0o666);
  check(fd >= 0, "open failed");
  const wr = new Uint8Array(32);
  new DataView(wr.buffer).setInt16(0, 1, true);
  const un = new Uint8Array(32);
  new DataView(un.buffer).setInt16(0, 2, true);
  return {
    async lock(): Promise<void> {
      if (c.fcntl(fd, 37, wr) === 0) return;
      check(await c.fcntlW(fd, 38, wr) === 0, "F_OFD_SETLKW failed");
    },
    unlock(): void {
      check(c.fcntl(fd, 37, un) === 0, "unlock failed");
    },
  };
}

// Scaling: `--procs N` runs N processes (x 300 each) for the default mode and the kept-open
// floor only, as workload W4-scaling.
const SCALING = Deno.args.includes("--procs");
const PROCS = intArg("procs", 4);
const W4 = SCALING ? "W4-scaling" : "W4";
const ITERS = 300;
const WIDTH = 10;

async function child(dir: string, mode: string, warm: boolean): Promise<void> {
  const counter = Deno.openSync(`${dir}/counter`, { read: true, write: true });
  const buf = new Uint8Array(WIDTH);
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const opts = mode === "polling"
    ? { external: true, lockPath: dir, timeout: 60_000 }
    : mode === "fcntl"
    ? { external: true, lockPath: dir, fileLockMode: "fcntl" as const }
    : { external: true, lockPath: dir };
  const kept = mode === "kept-open"
    ? Deno.openSync(`${dir}/w4`, { write: true, create: true })
    : undefined;
  const ofd = mode === "ofd-kept-open" ? ofdFloor(`${dir}/w4`) : undefined;
  // One acquisition on another name before the start, as the floors open their file or bind
  // libc before it: the window then holds the per-acquisition cost without the process's
  // one-time set-up (FFI binding, first-call compilation).
  if (warm) await (await lock("w4-warm-up", opts)).release();
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
  } else if (kept !== undefined || ofd !== undefined) {
    for (let i = 0; i < ITERS; i++) {
      if (kept !== undefined && !kept.tryLockSync(true)) await kept.lock(true);
      if (ofd !== undefined) await ofd.lock();
      counter.seekSync(0, Deno.SeekMode.Start);
      check(counter.readSync(buf) === WIDTH, "short read");
      const v = Number(dec.decode(buf)) + 1;
      counter.seekSync(0, Deno.SeekMode.Start);
      check(
        counter.writeSync(enc.encode(String(v).padStart(WIDTH, "0"))) === WIDTH,
        "short write",
      );
      kept?.unlockSync();
      ofd?.unlock();
    }
    kept?.close();
  }
  for (let i = 0; mode === "blocking" || mode === "polling" || mode === "fcntl"; i++) {
    if (i === ITERS) break;
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

async function trial(peer: string, mode: string, warm: boolean): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "w4-" });
  try {
    await Deno.writeTextFile(`${dir}/counter`, "0".repeat(WIDTH));
    const kids = Array.from({ length: PROCS }, () =>
      new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          `--allow-read=${dir}`,
          `--allow-write=${dir}`,
          "--allow-ffi",
          new URL(import.meta.url).pathname,
          "child",
          dir,
          mode,
          warm ? "warm" : "cold",
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

async function run(peer: string, mode: string, warm = false): Promise<number> {
  const wall = median(await repeat(() => trial(peer, mode, warm)));
  const rate = (PROCS * ITERS) / wall;
  const label = SCALING ? `${peer} x${PROCS}` : peer;
  emit(label, W4, "acquisitions_per_s", rate, "acq/s");
  emit(label, W4, "wall_s", wall, "s");
  return rate;
}

if (Deno.args[0] === "child") {
  await child(Deno.args[1]!, Deno.args[2]!, Deno.args[3] === "warm");
} else if (SCALING) {
  const rate = await run("fjord.lock(external)", "blocking");
  const kept = await run("deno flock, fd kept open (floor)", "kept-open");
  emit(`fjord.lock(external) x${PROCS}`, W4, "ratio_to_kept_open_floor", rate / kept, "x");
} else {
  const fjord: [string, number][] = [];
  fjord.push(["fjord.lock(external)", await run("fjord.lock(external)", "blocking")]);
  const fcntl = "fjord.lock(external, fileLockMode: fcntl)";
  fjord.push([fcntl, await run(fcntl, "fcntl")]);
  const warmFlock = "fjord.lock(external), after one warm-up lock";
  fjord.push([warmFlock, await run(warmFlock, "blocking", true)]);
  const warmFcntl = "fjord.lock(external, fileLockMode: fcntl), after one warm-up lock";
  fjord.push([warmFcntl, await run(warmFcntl, "fcntl", true)]);
  const polling = "fjord.lock(external, timeout: polling wait)";
  fjord.push([polling, await run(polling, "polling")]);
  await run("deno open+tryLockSync/lock+close (floor)", "raw");
  const kept = await run("deno flock, fd kept open (floor)", "kept-open");
  await run("deno fcntl OFD lock over FFI, fd kept open (floor)", "ofd-kept-open");
  for (const [peer, rate] of fjord) emit(peer, "W4", "ratio_to_kept_open_floor", rate / kept, "x");
}
