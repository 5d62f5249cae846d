// deno-lint-ignore-file no-console -- benchmarks report on stdout/stderr by design
// The bench harness. Runs fjord's per-workload scripts (bench/w*_*.ts, mem.ts, config_parse.ts)
// and, with --peers, the peer kit's single scripts for the same workload right after them:
// fjord W1, peers W1, fjord W1, peers W1, ... (--runs times), then W2, and so on, so load from
// other processes hits both sides alike. Prints each metric's median and min–max over the runs,
// and for the headline figures the ratio fjord ÷ best peer and fjord ÷ Deno floor (measured in
// the same run by fjord's scripts), and writes an SVG chart.
//
//   deno task bench                         # fjord only, 3 runs
//   deno task bench --peers                 # fjord + peers, interleaved per workload
//   deno task bench --runs 5 --only W3,W4   # some workloads; W1/W3/W4 include their scaling
//   deno task bench --json                  # JSON lines on stdout (summary on stderr)
//   deno task bench --no-scaling            # skip the 1/2/4/8 scaling series
//   deno task bench --from bench/results/<time>.jsonl   # summary and chart again, no run
//
// Peers: ../shared/peers relative to the repository root, or FJORD_PEERS_DIR; needs its
// install.sh done (Debian python peers, `npm ci` in node/). Python: PY (default
// /usr/bin/python3); node: NODE (default node).
// Output: Markdown on stdout (stderr with --json); every row as a JSON line
// {run, peer, workload, metric, value, unit} in bench/results/<time>.jsonl; the chart in
// bench/results/chart.svg. A full run with --peers (no --only) also writes docs/bench.svg.

import { log } from "./_common.ts";
import { chartSvg } from "./_chart.ts";
import {
  compare,
  type Comparison,
  comparisonTable,
  fullTables,
  type Row,
  sourceOf,
} from "./_summary.ts";

function usage(msg: string): never {
  console.error(`run_all.ts: ${msg}`);
  console.error(
    "usage: deno task bench [--peers] [--runs N] [--only W1,W2] [--json] [--no-scaling] [--from F] [W1 W2 ...]",
  );
  Deno.exit(64);
}

const argv = [...Deno.args];
let runs = 3;
let json = false;
let withPeers = false;
let scaling = true;
let from: string | undefined;
const only = new Set<string>();
for (let i = 0; i < argv.length; i++) {
  const a = argv[i]!;
  if (a === "--runs") {
    runs = Number(argv[++i]);
    if (!Number.isInteger(runs) || runs < 1) usage(`--runs needs an integer >= 1, got ${argv[i]}`);
  } else if (a === "--json") json = true;
  else if (a === "--peers") withPeers = true;
  else if (a === "--no-scaling") scaling = false;
  else if (a === "--from") from = argv[++i];
  else if (a === "--only") {
    for (const w of (argv[++i] ?? "").split(",")) if (w) only.add(w.toUpperCase());
  } else if (/^(W\d|MEM|CFG)/i.test(a)) only.add(a.toUpperCase());
  else usage(`unknown argument ${a}`);
}

const benchDir = new URL(".", import.meta.url);
const repo = new URL("..", benchDir);
const peersDir = Deno.env.get("FJORD_PEERS_DIR") ?? new URL("../shared/peers", repo).pathname;
const PY = Deno.env.get("PY") ?? "/usr/bin/python3";
const NODE = Deno.env.get("NODE") ?? "node";
const LIMIT_MS = 300_000;

interface Step {
  label: string;
  cmd: string;
  args: string[];
  cwd?: string;
}

const deno = (file: string, ...extra: string[]): Step => ({
  label: `fjord ${file} ${extra.join(" ")}`.trim(),
  cmd: Deno.execPath(),
  args: ["run", "-A", new URL(file, benchDir).pathname, ...extra],
});
const py = (script: string, ...extra: string[]): Step => ({
  label: `peers python/${script}`,
  cmd: PY,
  args: [`${peersDir}/python/${script}`, ...extra],
  cwd: `${peersDir}/python`,
});
const node = (script: string): Step => ({
  label: `peers node/${script}`,
  cmd: NODE,
  args: [`${peersDir}/node/${script}`],
  cwd: `${peersDir}/node`,
});

const w4Source = await Deno.readTextFile(new URL("w4_interprocess_lock.ts", benchDir));
const w4Procs = w4Source.includes("--procs");

interface Workload {
  id: string;
  fjord: Step[];
  peers: Step[];
}

const WORKLOADS: Workload[] = [
  {
    id: "W1",
    fjord: [deno("w1_executor_overhead.ts")],
    peers: [py("w1_executor_overhead.py"), node("w1_executor_overhead.mjs")],
  },
  {
    id: "W2",
    fjord: [deno("w2_cpu_parallel.ts")],
    peers: [py("w2_cpu_parallel.py"), node("w2_cpu_parallel.mjs")],
  },
  {
    id: "W3",
    fjord: [deno("w3_internal_lock.ts")],
    peers: [py("w3_internal_lock.py"), node("w3_internal_lock.mjs")],
  },
  {
    id: "W4",
    fjord: [deno("w4_interprocess_lock.ts")],
    peers: [py("w4_interprocess_lock.py"), node("w4_interprocess_lock.mjs")],
  },
  {
    id: "W5",
    fjord: [deno("w5_process_exec.ts")],
    peers: [py("w5_process_exec.py"), node("w5_process_exec.mjs")],
  },
  {
    id: "W6",
    fjord: [deno("w6_looping_call.ts")],
    peers: [py("w6_looping_call.py"), node("w6_timers.mjs")],
  },
  { id: "W7", fjord: [deno("w7_service_lifecycle.ts")], peers: [py("w7_service_lifecycle.py")] },
  {
    id: "MEM",
    fjord: [deno("mem.ts")],
    peers: [
      {
        label: "peers bench/peers_mem/launchers.py",
        cmd: PY,
        args: [new URL("peers_mem/launchers.py", benchDir).pathname, peersDir],
      },
      {
        label: "peers bench/peers_mem/pools.mjs",
        cmd: NODE,
        args: ["--expose-gc", new URL("peers_mem/pools.mjs", benchDir).pathname, peersDir],
      },
    ],
  },
  {
    id: "W8",
    fjord: [deno("w8_distributed_lock.ts"), deno("w8_leader_failover.ts")],
    peers: [
      py("w8_distributed_lock.py"),
      py("w8_leader_failover.py"),
      node("w8_distributed_lock.mjs"),
      node("w8_leader_failover.mjs"),
    ],
  },
  { id: "CFG", fjord: [deno("config_parse.ts")], peers: [] },
];
if (scaling) {
  WORKLOADS.splice(1, 0, {
    id: "W1",
    fjord: [1, 2, 4, 8].map((n) => deno("w1_executor_overhead.ts", "--workers", String(n))),
    peers: [],
  });
  WORKLOADS.splice(4, 0, {
    id: "W3",
    fjord: [1, 2, 4, 8].map((n) => deno("w3_internal_lock.ts", "--contenders", String(n))),
    peers: [],
  });
  if (w4Procs) {
    WORKLOADS.splice(6, 0, {
      id: "W4",
      fjord: [2, 4, 8].map((n) => deno("w4_interprocess_lock.ts", "--procs", String(n))),
      peers: [],
    });
  } else {
    log("note: bench/w4_interprocess_lock.ts takes no --procs argument: no W4 scaling series");
  }
}

const selected = WORKLOADS.filter((w) => only.size === 0 || only.has(w.id));
if (selected.length === 0) usage(`no workload matches ${[...only].join(",")}`);
if (withPeers && from === undefined) {
  try {
    Deno.statSync(`${peersDir}/node/node_modules`);
  } catch {
    usage(`${peersDir}/node/node_modules is missing: run the kit's install.sh (npm ci in node/)`);
  }
}

const failures: string[] = [];

async function runStep(step: Step, run: number): Promise<Row[]> {
  log(`# run ${run}/${runs}: ${step.label}`);
  const child = new Deno.Command(step.cmd, {
    args: step.args,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
    ...(step.cwd ? { cwd: step.cwd } : {}),
  }).spawn();
  const timer = setTimeout(() => {
    log(`! ${step.label}: over ${LIMIT_MS / 1000} s, killed`);
    child.kill("SIGKILL");
  }, LIMIT_MS);
  const out = await child.output();
  clearTimeout(timer);
  if (!out.success) failures.push(`run ${run}: ${step.label} exited ${out.code}`);
  const rows: Row[] = [];
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    if (!line.startsWith("{")) continue;
    const r = JSON.parse(line) as Omit<Row, "run">;
    rows.push({ run, ...r });
  }
  return rows;
}

function sh(cmd: string, ...args: string[]): string {
  try {
    const r = new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" }).outputSync();
    return new TextDecoder().decode(r.stdout).trim();
  } catch {
    return "unavailable";
  }
}

const loadavg = (): string =>
  Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
const cpu = /model name\s*:\s*(.*)/.exec(Deno.readTextFileSync("/proc/cpuinfo"))?.[1] ?? "?";

interface Meta {
  command: string;
  started: string;
  machine: string;
  loadStart: string;
  loadEnd: string;
  runs: number;
  nproc: number;
}

const resultsDir = new URL("results/", benchDir);
let rows: Row[] = [];
let meta: Meta;
let stamp: string;
if (from !== undefined) {
  const text = await Deno.readTextFile(from);
  rows = text.split("\n").filter((l) => l.startsWith("{")).map((l) => {
    const { source: _s, ...r } = JSON.parse(l) as Row & { source?: string };
    return r;
  });
  meta = JSON.parse(await Deno.readTextFile(from.replace(/\.jsonl$/, ".meta.json"))) as Meta;
  runs = meta.runs;
  stamp = from.replace(/^.*\//, "").replace(/\.jsonl$/, "");
} else {
  const started = new Date();
  const machine = [
    `${navigator.hardwareConcurrency} cores (${cpu})`,
    `${(Deno.systemMemoryInfo().total / 2 ** 30).toFixed(1)} GiB`,
    `Linux ${Deno.osRelease()}`,
    `Deno ${Deno.version.deno}`,
    ...(withPeers ? [`node ${sh(NODE, "--version")}`, sh(PY, "--version")] : []),
  ].join(", ");
  const loadStart = loadavg();
  for (const w of selected) {
    for (let run = 1; run <= runs; run++) {
      for (const step of [...w.fjord, ...(withPeers ? w.peers : [])]) {
        for (const r of await runStep(step, run)) {
          rows.push(r);
          if (json) console.log(JSON.stringify({ source: sourceOf(r.peer), ...r }));
        }
      }
    }
  }
  meta = {
    command: `deno task bench ${Deno.args.join(" ")}`.trim(),
    started: started.toISOString(),
    machine,
    loadStart,
    loadEnd: loadavg(),
    runs,
    nproc: navigator.hardwareConcurrency,
  };
  await Deno.mkdir(resultsDir, { recursive: true });
  stamp = started.toISOString().replace(/[:.]/g, "-");
  await Deno.writeTextFile(
    new URL(`${stamp}.jsonl`, resultsDir),
    rows.map((r) => JSON.stringify({ source: sourceOf(r.peer), ...r })).join("\n") + "\n",
  );
  await Deno.writeTextFile(new URL(`${stamp}.meta.json`, resultsDir), JSON.stringify(meta));
}

const THREAD_POOLS = /piscina|tinypool|futurist\.ThreadPool/;
const LAUNCHERS = /cotyledon|oslo\.service ProcessLauncher/;
const COMPARISONS: Comparison[] = [
  ...["", ", 1 task/message"].flatMap((mode): Comparison[] => [
    {
      label: `WorkerPool${mode}`,
      workload: "W1",
      metric: "tasks_per_s",
      better: "higher",
      fjord: `fjord.WorkerPoolExecutor(2)${mode}`,
      peers: THREAD_POOLS,
    },
    {
      label: `ProcessPool${mode}`,
      workload: "W1",
      metric: "tasks_per_s",
      better: "higher",
      fjord: `fjord.ProcessPoolExecutor(2)${mode}`,
      peers: /futurist\.ProcessPool/,
    },
  ]),
  {
    label: "AsyncPool",
    workload: "W1",
    metric: "tasks_per_s",
    better: "higher",
    fjord: "fjord.AsyncPoolExecutor(2)",
    peers: /p-limit/,
  },
  ...["WorkerPool", "ProcessPool"].map((p): Comparison => ({
    label: p,
    workload: "W2",
    metric: "speedup",
    better: "higher",
    fjord: `fjord.${p}Executor(2)`,
    peers: /./,
    floor: /Worker x2 static split/,
  })),
  ...["W3a", "W3b"].flatMap((w): Comparison[] => [
    {
      label: "Mutex",
      workload: w,
      metric: "ops_per_s",
      better: "higher",
      fjord: "fjord.Mutex",
      peers: /async-mutex|oslo/,
      floor: /promise-chain/,
    },
    {
      label: "lock(name)",
      workload: w,
      metric: "ops_per_s",
      better: "higher",
      fjord: "fjord.lock(name)",
      peers: /async-mutex|oslo/,
      floor: /promise-chain/,
    },
  ]),
  {
    label: "lock(external)",
    workload: "W4",
    metric: "acquisitions_per_s",
    better: "higher",
    fjord: "fjord.lock(external)",
    peers: /oslo|proper-lockfile/,
    floor: /./,
  },
  {
    label: "execute",
    workload: "W5",
    metric: "median_ms",
    better: "lower",
    fjord: "fjord.execute",
    peers: /oslo|execa/,
    floor: /Deno\.Command\.output/,
  },
  ...[["default", "fjord.FixedIntervalLoopingCall"], [
    "precise",
    "fjord.FixedIntervalLoopingCall (precise)",
  ]].flatMap(([label, fjord]): Comparison[] => [
    {
      label: `looping call ${label}`,
      workload: "W6",
      metric: "p99_lateness_ms",
      better: "lower",
      fjord: fjord!,
      peers: /oslo|node/,
      floor: /self-correcting setTimeout \(floor\)$/,
    },
    {
      label: `looping call ${label}, blocked/tick`,
      workload: "W6",
      metric: "blocked_ms_per_tick",
      better: "lower",
      fjord: fjord!,
      floor: /self-correcting setTimeout \(floor\)$/,
    },
  ]),
  {
    label: "ServiceLauncher spawn→start",
    workload: "W7a",
    metric: "exec_to_start_ms",
    better: "lower",
    fjord: "fjord.ServiceLauncher",
    peers: /oslo/,
  },
  {
    label: "ServiceLauncher launch→start",
    workload: "W7a",
    metric: "launch_to_start_ms",
    better: "lower",
    fjord: "fjord.ServiceLauncher",
    peers: /oslo/,
  },
  {
    label: "ServiceLauncher SIGTERM→exit",
    workload: "W7b",
    metric: "sigterm_to_exit_ms",
    better: "lower",
    fjord: "fjord.ServiceLauncher",
    peers: /oslo/,
  },
  ...(["process", "worker"] as const).flatMap((iso): Comparison[] => [
    {
      label: `respawn, ${iso}`,
      workload: "W7c",
      metric: "respawn_ms",
      better: "lower",
      fjord: `fjord.ProcessLauncher(2) ${iso}`,
      peers: LAUNCHERS,
      floor: iso === "process" ? /^deno run empty/ : /^Worker, empty/,
      floorMetric: "start_ms",
    },
    {
      label: `respawn, ${iso}+standby`,
      workload: "W7c",
      metric: "respawn_ms",
      better: "lower",
      fjord: `fjord.ProcessLauncher(2) ${iso}+standby`,
      peers: LAUNCHERS,
    },
    {
      label: `start 2 workers, ${iso}`,
      workload: "W7c",
      metric: "exec_to_all_started_ms",
      better: "lower",
      fjord: `fjord.ProcessLauncher(2) ${iso}`,
      peers: LAUNCHERS,
      floor: iso === "process" ? /^deno run spawning 2/ : /^deno run starting 2/,
      floorMetric: "start_ms",
    },
    {
      label: `SIGTERM→exit, ${iso}`,
      workload: "W7c",
      metric: "sigterm_to_exit_ms",
      better: "lower",
      fjord: `fjord.ProcessLauncher(2) ${iso}`,
      peers: LAUNCHERS,
    },
    {
      label: `idle 2 workers PSS, ${iso}`,
      workload: "MEM",
      metric: "idle_pss_mb",
      better: "lower",
      fjord: `fjord.ProcessLauncher(2) ${iso}`,
      peers: LAUNCHERS,
    },
  ]),
  {
    label: "WorkerPool bytes/pending task",
    workload: "MEM",
    metric: "bytes_per_pending_task",
    better: "lower",
    fjord: "fjord.WorkerPoolExecutor(2)",
    peers: /piscina|tinypool/,
  },
  ...(["etcd", "redis"] as const).flatMap((engine): Comparison[] => [
    {
      label: `lock+unlock, ${engine}`,
      workload: "W8a",
      metric: "median_ms",
      better: "lower",
      fjord: `fjord.coord ${engine}://`,
      peers: engine === "etcd" ? /etcd/ : /redis|redlock/,
      floor: engine === "etcd" ? /^deno etcd/ : /^deno redis/,
    },
    {
      label: `4 procs contended, ${engine}`,
      workload: "W8b",
      metric: "acq_per_s",
      better: "higher",
      fjord: `fjord.coord ${engine}://`,
      peers: engine === "etcd" ? /etcd/ : /redis|redlock/,
    },
    {
      label: `leader failover, ${engine}`,
      workload: "W8c",
      metric: "failover_ms",
      better: "lower",
      fjord: `fjord.coord ${engine}://`,
      peers: engine === "etcd" ? /etcd/ : /redis|redlock/,
    },
  ]),
  {
    label: "parseIni 5,000 lines",
    workload: "config_parse_5000",
    metric: "parse_ms_median",
    better: "lower",
    fjord: "fjord.parseIni",
    peers: /oslo/,
  },
];
const ORDER = [
  "W1",
  "W2",
  "W3a",
  "W3b",
  "W4",
  "W5",
  "W6",
  "W7a",
  "W7b",
  "W7c",
  "W8a",
  "W8b",
  "W8c",
  "MEM",
];
const rank = (w: string): number => ORDER.includes(w) ? ORDER.indexOf(w) : ORDER.length;
// Within a workload, rows of one metric together, in the order the list first names them.
const firstOf = (c: Comparison): number =>
  COMPARISONS.findIndex((d) => d.workload === c.workload && d.metric === c.metric);
const compared = compare(
  rows,
  COMPARISONS.map((c, i) => ({ c, i })).sort((a, b) =>
    rank(a.c.workload) - rank(b.c.workload) ||
    firstOf(a.c) - firstOf(b.c) || a.i - b.i
  ).map((x) => x.c),
);
const command = meta.command;
const subtitle = `${command} · ${runs} run(s), medians · ${
  meta.started.slice(0, 16).replace("T", " ")
} UTC · ${meta.nproc} cores · load avg ${meta.loadStart.split(" ")[0]}→${
  meta.loadEnd.split(" ")[0]
}`;
const svg = chartSvg(compared, subtitle);
await Deno.mkdir(resultsDir, { recursive: true });
await Deno.writeTextFile(new URL("chart.svg", resultsDir), svg);
if (/--peers/.test(command) && !/--only|W\d/.test(command)) {
  await Deno.mkdir(new URL("docs/", repo), { recursive: true });
  await Deno.writeTextFile(new URL("docs/bench.svg", repo), svg);
}

const md = [
  `## fjord bench: ${runs} run(s) per workload${
    /--peers/.test(command) ? ", interleaved with the peers" : ""
  }`,
  "",
  `Command: \`${command}\`; started ${meta.started}; machine: ${meta.machine}; load average ${meta.loadStart} at start, ${meta.loadEnd} at the end.`,
  "",
  "Cells: median over the runs (min–max). Ratios: of the medians, with the min–max of the per-run ratios; " +
  "`better` says which way is good (for `lower` metrics a ratio under 1 means fjord is faster). " +
  "Best peer: the best peer library of the row's class (not a floor); Deno floor: the fastest floor " +
  "measured by fjord's scripts in the same run (W2: two bare Workers, 16 tasks each).",
  "",
  comparisonTable(compared),
  "",
  "### Every figure",
  fullTables(rows),
  "",
  failures.length > 0
    ? `**Failures:**\n${failures.map((f) => `- ${f}`).join("\n")}`
    : "All scripts passed their checks.",
  "",
  `Rows: bench/results/${stamp}.jsonl; chart: bench/results/chart.svg`,
].join("\n");
if (json) log(md);
else console.log(md);
if (failures.length > 0) Deno.exit(1);
