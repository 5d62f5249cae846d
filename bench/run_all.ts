// deno-lint-ignore-file no-console -- benchmarks report on stdout/stderr by design
// Runs every fjord benchmark script (bench/w*_*.ts, bench/config_parse.ts) as its own process,
// collects their JSON lines, and with --peers also runs the peer kit (../shared/peers) on the
// same workloads in the same session, so ratios compare figures measured side by side.
//
//   deno task bench                 # fjord only
//   deno task bench --peers         # fjord + peers (needs the peer kit installed: install.sh)
//   deno task bench W3 W4           # only some workloads
//
// Output: the JSON lines on stdout (one per metric, with a "source" field), then a Markdown
// summary on stderr. Raw lines are also written to bench/results/<timestamp>.jsonl.

import { log } from "./_common.ts";

interface Row {
  source: "fjord" | "peer";
  peer: string;
  workload: string;
  metric: string;
  value: number;
  unit: string;
}

const args = Deno.args.filter((a) => !a.startsWith("--"));
const withPeers = Deno.args.includes("--peers");
const wanted = new Set(args.map((a) => a.toUpperCase()));
const benchDir = new URL(".", import.meta.url);

function workloadOf(file: string): string {
  const m = /^w(\d+)_/.exec(file);
  return m ? `W${m[1]}` : file.replace(/\.ts$/, "");
}

async function runLines(cmd: string, cmdArgs: string[], cwd?: string): Promise<unknown[]> {
  const child = new Deno.Command(cmd, {
    args: cmdArgs,
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
    ...(cwd ? { cwd } : {}),
  }).spawn();
  const out = await child.output();
  if (!out.success) log(`! ${cmd} ${cmdArgs.join(" ")} exited with ${out.code}`);
  const lines = new TextDecoder().decode(out.stdout).split("\n").filter((l) => l.startsWith("{"));
  return lines.map((l) => JSON.parse(l));
}

const rows: Row[] = [];
const scripts: string[] = [];
for await (const entry of Deno.readDir(benchDir)) {
  if (entry.isFile && /^(w\d+_.*|config_parse)\.ts$/.test(entry.name)) scripts.push(entry.name);
}
scripts.sort();
for (const file of scripts) {
  const workload = workloadOf(file);
  if (wanted.size > 0 && !wanted.has(workload.toUpperCase())) continue;
  log(`# fjord ${file}`);
  const path = new URL(file, benchDir).pathname;
  for (const r of await runLines(Deno.execPath(), ["run", "-A", path])) {
    const row = { source: "fjord", ...(r as Omit<Row, "source">) } as Row;
    rows.push(row);
    console.log(JSON.stringify(row));
  }
}

if (withPeers) {
  const kit = new URL("../../shared/peers/", benchDir).pathname;
  // The shared kit is read-only; run a private copy (its node_modules are installed there).
  const copy = await Deno.makeTempDir({ prefix: "fjord-peers-" });
  try {
    await new Deno.Command("cp", { args: ["-r", `${kit}.`, copy] }).output();
    const workloads = [...new Set(scripts.map(workloadOf))].filter((w) => /^W\d+$/.test(w))
      .filter((w) => wanted.size === 0 || wanted.has(w));
    log(`# peers ${workloads.join(" ")}`);
    for (const r of await runLines("bash", ["run_all.sh", ...workloads], copy)) {
      const row = { source: "peer", ...(r as Omit<Row, "source">) } as Row;
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  } finally {
    await Deno.remove(copy, { recursive: true });
  }
}

const resultsDir = new URL("results/", benchDir);
await Deno.mkdir(resultsDir, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
await Deno.writeTextFile(
  new URL(`${stamp}.jsonl`, resultsDir),
  rows.map((r) => JSON.stringify(r)).join("\n") + "\n",
);

const byWorkload = Map.groupBy(rows, (r) => r.workload);
const md: string[] = [];
for (const [workload, list] of [...byWorkload].sort()) {
  md.push(
    `\n### ${workload}\n`,
    "| source | peer | metric | value | unit |",
    "|---|---|---|---|---|",
  );
  for (const r of list) {
    md.push(`| ${r.source} | ${r.peer} | ${r.metric} | ${r.value} | ${r.unit} |`);
  }
}
log(md.join("\n"));
