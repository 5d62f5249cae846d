// Chaos: processes increment a shared journal under lock(name, {external: true}) in both file
// lock modes while random holders are SIGKILLed and replaced.
//
// The journal is the counter: each increment, under the lock, reads the last 11-byte record
// ("%010d\n"), checks it equals the record count, and appends the next one in one write. So a
// lost exclusion shows as a duplicate or out-of-order record, a kill can only drop a whole
// increment, and the final count is exactly the committed increments. Children report each
// commit on stdout; the journal may hold at most one unreported commit per kill. After each
// round nothing may still hold the lock.
//
// Run as a module it is the scenario; run as a script (`child` arguments) it is one incrementer.
import type { Scenario, ScenarioResult } from "../scenario.ts";
import { type FileLockMode, lock } from "../../lock/mod.ts";

const RECORD = 11;
const CHILDREN = 3;
const ITERS = 40;
const KILLS = 2;
const ROUND_LIMIT_MS = 30_000;

async function child(dir: string, mode: FileLockMode, iters: number): Promise<void> {
  const journal = await Deno.open(`${dir}/journal`, { read: true, append: true, create: true });
  const buf = new Uint8Array(RECORD);
  const out = Deno.stdout.writable.getWriter();
  for (let i = 0; i < iters; i++) {
    let value: number;
    {
      await using _held = await lock("chaos", {
        external: true,
        lockPath: dir,
        fileLockMode: mode,
      });
      const size = (await journal.stat()).size;
      if (size % RECORD !== 0) throw new Error(`torn journal: ${size} bytes`);
      const n = size / RECORD;
      if (n > 0) {
        await journal.seek(size - RECORD, Deno.SeekMode.Start);
        if (await journal.read(buf) !== RECORD) throw new Error("short read");
        const last = Number(new TextDecoder().decode(buf));
        if (last !== n) throw new Error(`exclusion lost: record ${n} holds ${last}`);
      }
      // Hold the lock across a turn of the event loop, so kills land on holders.
      await new Promise((r) => setTimeout(r, Math.random() < 0.5 ? 0 : 1));
      value = n + 1;
      const rec = new TextEncoder().encode(String(value).padStart(RECORD - 1, "0") + "\n");
      if (await journal.write(rec) !== RECORD) throw new Error("short write");
    }
    await out.write(new TextEncoder().encode(`${value}\n`));
  }
  journal.close();
}

interface Kid {
  proc: Deno.ChildProcess;
  reported: number;
  exited: boolean;
  done: Promise<Deno.CommandStatus>;
}

function spawnKid(dir: string, mode: FileLockMode): Kid {
  const proc = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      `--allow-read=${dir}`,
      `--allow-write=${dir}`,
      "--allow-ffi",
      new URL(import.meta.url).pathname,
      "child",
      dir,
      mode,
      String(ITERS),
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const kid: Kid = { proc, reported: 0, exited: false, done: proc.status };
  const counting = (async () => {
    for await (const chunk of proc.stdout.pipeThrough(new TextDecoderStream())) {
      kid.reported += chunk.split("\n").length - 1;
    }
  })();
  const stderr = new Response(proc.stderr).text();
  kid.done = Promise.all([proc.status, counting, stderr]).then(([status, , err]) => {
    kid.exited = true;
    if (!status.success && status.signal !== "SIGKILL") {
      throw new Error(`child exited ${status.code}: ${err.trim().split("\n")[0]}`);
    }
    return status;
  });
  // Collected by the round's allSettled; a failure before that is not an unhandled rejection.
  kid.done.catch(() => {});
  return kid;
}

async function round(mode: FileLockMode, failures: string[]): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "chaos-lock-" });
  const kids: Kid[] = [];
  let killed = 0;
  try {
    for (let i = 0; i < CHILDREN; i++) kids.push(spawnKid(dir, mode));
    const started = performance.now();
    for (let k = 0; k < KILLS; k++) {
      await new Promise((r) => setTimeout(r, 150 + Math.random() * 250));
      const alive = kids.filter((c) => !c.exited);
      const victim = alive[Math.floor(Math.random() * alive.length)];
      if (victim === undefined) break;
      try {
        victim.proc.kill("SIGKILL");
        killed++;
      } catch {
        // It finished first.
      }
      kids.push(spawnKid(dir, mode));
    }
    const all = Promise.allSettled(kids.map((c) => c.done));
    const limit = ROUND_LIMIT_MS - (performance.now() - started);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([
      all.then(() => false),
      new Promise<boolean>((r) => timer = setTimeout(() => r(true), Math.max(limit, 0))),
    ]);
    clearTimeout(timer);
    if (timedOut) failures.push(`${mode}: round did not finish in ${ROUND_LIMIT_MS} ms`);
    for (const r of await (timedOut ? Promise.resolve([]) : all)) {
      if (r.status === "rejected") failures.push(`${mode}: ${(r.reason as Error).message}`);
    }
    const text = await Deno.readTextFile(`${dir}/journal`).catch(() => "");
    const records = text === "" ? [] : text.trimEnd().split("\n").map(Number);
    records.forEach((v, i) => {
      if (v !== i + 1) failures.push(`${mode}: record ${i + 1} holds ${v}`);
    });
    const reported = kids.reduce((s, c) => s + c.reported, 0);
    if (records.length < reported || records.length > reported + killed) {
      failures.push(
        `${mode}: ${records.length} increments in the journal, ${reported} reported, ${killed} kills`,
      );
    }
    // No stale lock: every holder is gone, so the lock is free at once.
    try {
      await (await lock("chaos", {
        external: true,
        lockPath: dir,
        fileLockMode: mode,
        blocking: false,
      })).release();
    } catch (err) {
      failures.push(`${mode}: lock still held after the round: ${(err as Error).message}`);
    }
    return records.length;
  } finally {
    for (const c of kids) {
      try {
        c.proc.kill("SIGKILL");
      } catch {
        // Exited.
      }
    }
    await Promise.allSettled(kids.map((c) => c.done));
    await Deno.remove(dir, { recursive: true });
  }
}

const scenario: Scenario = {
  name: "lock: external lock (flock and fcntl) under SIGKILLed holders",
  iterations: { full: 10, short: 1 },
  async run({ iterations }): Promise<ScenarioResult> {
    const failures: string[] = [];
    let count = 0;
    for (let i = 0; i < iterations; i++) {
      for (const mode of ["flock", "fcntl"] as const) count += await round(mode, failures);
    }
    return { count, failures };
  },
};
export default scenario;

if (import.meta.main && Deno.args[0] === "child") {
  await child(Deno.args[1]!, Deno.args[2] as FileLockMode, Number(Deno.args[3]));
}
