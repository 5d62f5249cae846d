// W5 process execution latency: run `true` 300 times sequentially (after 10 untimed warm-up
// calls), each call timed with performance.now(); median and p99 (nearest-rank) ms per call.
// Correctness: every call exits 0 with empty stdout. Same definitions as the peer kit's
// python/w5_process_exec.py and node/w5_process_exec.mjs.
//
// Peers in this script: fjord.execute(["true"]); raw `new Deno.Command("true").output()` as the
// floor; (extra) the same raw spawn with stdin piped and closed, as execute() must; and (extra)
// fjord.execute with a timeout, the path that starts the child in its own session (util-linux
// setsid) so the timeout can kill its process group. The variants are interleaved call by call
// (each still makes 300 sequential timed calls), so load from other processes on this shared
// machine hits them alike; the order rotates every round.
//
// Run: deno run --allow-run bench/w5_process_exec.ts
// (unscoped --allow-run: the timeout variant runs `setsid`; with --allow-run=true it would fall
// back to Deno's slower `detached` spawn.)
import { execute } from "../process/mod.ts";
import { check, emit, log, median, percentile } from "./_common.ts";

const CALLS = 300;
const WARMUP = 10;

async function fjordCall(): Promise<void> {
  const r = await execute(["true"]);
  check(r.stdout === "" && r.stderr === "", "fjord.execute: unexpected output");
}

async function fjordTimeoutCall(): Promise<void> {
  const r = await execute(["true"], { timeout: 30_000 });
  check(r.stdout === "" && r.stderr === "", "fjord.execute timeout: unexpected output");
}

// Same as rawCall but with stdin a pipe closed at once, which execute() must do (oslo semantics);
// Deno's output() default inherits stdin instead.
async function rawPipedCall(): Promise<void> {
  const child = new Deno.Command("true", { stdin: "piped", stdout: "piped", stderr: "piped" })
    .spawn();
  const [r] = await Promise.all([child.output(), child.stdin.close()]);
  check(r.code === 0 && r.stdout.length === 0, `Deno.Command piped: exit ${r.code}`);
}

async function rawCall(): Promise<void> {
  const r = await new Deno.Command("true").output();
  check(r.code === 0 && r.stdout.length === 0, `Deno.Command: exit ${r.code}`);
}

const peers: [string, () => Promise<void>][] = [
  ["fjord.execute", fjordCall],
  ["deno Deno.Command.output (floor)", rawCall],
  ["deno Deno.Command.spawn, stdin piped (floor)", rawPipedCall],
  ["fjord.execute timeout=30s (own process group)", fjordTimeoutCall],
];

for (const [, call] of peers) for (let i = 0; i < WARMUP; i++) await call();
const samples = new Map<string, number[]>(peers.map(([name]) => [name, []]));
for (let i = 0; i < CALLS; i++) {
  // Rotate the order each round so no variant always runs first (or right after another).
  for (let j = 0; j < peers.length; j++) {
    const [name, call] = peers[(i + j) % peers.length]!;
    const t0 = performance.now();
    await call();
    samples.get(name)!.push(performance.now() - t0);
  }
}
for (const [name] of peers) {
  const xs = samples.get(name)!;
  check(xs.length === CALLS, `${name}: sample count`);
  log(`${name}: median ${median(xs).toFixed(3)} ms p99 ${percentile(xs, 99).toFixed(3)} ms`);
  emit(name, "W5", "median_ms", median(xs), "ms");
  emit(name, "W5", "p99_ms", percentile(xs, 99), "ms");
}
const ratio = median(samples.get("fjord.execute")!) /
  median(samples.get("deno Deno.Command.output (floor)")!);
log(`fjord.execute median / Deno.Command floor median = ${ratio.toFixed(3)} (target <= 1.2)`);
