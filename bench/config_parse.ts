// Config parse benchmark: a 5 000-line oslo.config-style file (50 sections × 100 lines: headers,
// comments, blank lines, key = value, key: value, quoted values, continuation lines, repeated
// keys, $substitutions). Reports, median over trials:
//   fjord.parseIni      parse the text already in memory (ms)
//   fjord.Config.load   read the file + parse + validate 1 000 registered options (ms)
//   oslo.config.ConfigParser   the same file through oslo.config's parser (Debian python3-oslo.config),
//                       when /usr/bin/python3 has it: same workload, measured inside Python.
//
//   deno run --allow-read --allow-write --allow-run bench/config_parse.ts

import { check, emit, log, median } from "./_common.ts";
import { Config, intOpt, listOpt, multiStrOpt, parseIni, strOpt } from "../config/mod.ts";

const WORKLOAD = "config_parse_5000";
const SECTIONS = 50;
const LINES_PER_SECTION = 100;
const TRIALS = 30;

function generate(): string {
  const lines: string[] = [];
  for (let s = 0; s < SECTIONS; s++) {
    lines.push(s === 0 ? "[DEFAULT]" : `[section_${s}.sub]`);
    let n = 1;
    let k = 0;
    while (n < LINES_PER_SECTION) {
      const left = LINES_PER_SECTION - n;
      const kind = k % 8;
      if (kind === 0 && left >= 2) {
        lines.push(`# Help text for option key_${k}, wrapped like a generated sample.`, "");
        n += 2;
      } else if (kind === 1 && left >= 3) {
        lines.push(`text_${k} = first line`, "    second line", "\tthird line");
        n += 3;
      } else if (kind === 2 && left >= 2) {
        lines.push(`multi = value_${k}_a`, `multi = value_${k}_b`);
        n += 2;
      } else if (kind === 3) {
        lines.push(`list_${k}: a, b, c, d, e`);
        n++;
      } else if (kind === 4) {
        lines.push(`quoted_${k} = "  spaced value ${k}  "`);
        n++;
      } else if (kind === 5) {
        lines.push(`path_${k} = $base_path/sub/${k}`);
        n++;
      } else if (kind === 6) {
        lines.push(`; alternative comment ${k}`);
        n++;
      } else {
        lines.push(`int_${k} = ${k * 7}`);
        n++;
      }
      k++;
    }
  }
  return lines.join("\n") + "\n";
}

function groupName(s: number): string {
  return s === 0 ? "DEFAULT" : `section_${s}.sub`;
}

function registerAll(conf: Config, doc: ReturnType<typeof parseIni>): number {
  let count = 0;
  conf.registerOpt(strOpt("base_path", { default: "/var/lib/bench" }));
  for (let s = 0; s < SECTIONS; s++) {
    const group = groupName(s);
    for (const key of doc.get(group)!.keys()) {
      if (count >= 1_000) return count;
      const opt = key === "multi"
        ? multiStrOpt(key)
        : key.startsWith("int_")
        ? intOpt(key)
        : key.startsWith("list_")
        ? listOpt(key)
        : strOpt(key);
      conf.registerOpt(opt, group);
      count++;
    }
  }
  return count;
}

const text = generate();
const lineCount = text.split("\n").length - 1;
check(lineCount === SECTIONS * LINES_PER_SECTION, `generated ${lineCount} lines`);
const dir = await Deno.makeTempDir({ prefix: "fjord_bench_config_" });
const file = `${dir}/bench.conf`;
try {
  await Deno.writeTextFile(file, text);

  // Correctness: every section, the continuation and the repeated keys.
  const doc = parseIni(text, file);
  check(doc.size === SECTIONS, `parsed ${doc.size} sections`);
  check(
    doc.get("DEFAULT")!.get("text_1")![0]!.value === "first line\nsecond line\nthird line",
    "continuation",
  );
  check(doc.get("DEFAULT")!.get("multi")!.length > 2, "repeated keys kept");

  for (let i = 0; i < 5; i++) parseIni(text, file); // warm-up (JIT)
  const parseMs: number[] = [];
  for (let i = 0; i < TRIALS; i++) {
    const t0 = performance.now();
    parseIni(text, file);
    parseMs.push(performance.now() - t0);
  }

  const loadMs: number[] = [];
  let registered = 0;
  for (let i = 0; i < TRIALS + 5; i++) {
    const conf = new Config();
    registered = registerAll(conf, doc);
    const t0 = performance.now();
    await conf.load({ files: [file] });
    const elapsed = performance.now() - t0;
    if (i >= 5) loadMs.push(elapsed);
    check(conf.get<string>("path_5") === "/var/lib/bench/sub/5", "substitution");
  }

  log(`# ${lineCount} lines, ${text.length} bytes, ${registered} options registered for load()`);
  emit("fjord.parseIni", WORKLOAD, "parse_ms_median", median(parseMs), "ms");
  emit("fjord.parseIni", WORKLOAD, "parse_ms_min", Math.min(...parseMs), "ms");
  emit("fjord.Config.load", WORKLOAD, "load_ms_median", median(loadMs), "ms");

  // Peer: oslo.config's own parser on the same file, timed inside Python.
  const py = `
import json, statistics, sys, time
from oslo_config import cfg
path = sys.argv[1]
def once():
    sections = {}
    cfg.ConfigParser(path, sections).parse()
    return sections
for _ in range(3): once()
xs = []
for _ in range(${TRIALS}):
    t0 = time.perf_counter(); s = once(); xs.append((time.perf_counter() - t0) * 1000)
assert len(s) == ${SECTIONS}, len(s)
print(json.dumps({"median": statistics.median(xs), "min": min(xs)}))
`;
  try {
    const out = await new Deno.Command("/usr/bin/python3", {
      args: ["-c", py, file],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (out.success) {
      const r = JSON.parse(new TextDecoder().decode(out.stdout)) as { median: number; min: number };
      emit("oslo.config.ConfigParser", WORKLOAD, "parse_ms_median", r.median, "ms");
      emit("oslo.config.ConfigParser", WORKLOAD, "parse_ms_min", r.min, "ms");
    } else {
      log(
        `# oslo.config peer skipped: ${
          new TextDecoder().decode(out.stderr).trim().split("\n").pop()
        }`,
      );
    }
  } catch (error) {
    log(`# oslo.config peer skipped: ${error instanceof Error ? error.message : String(error)}`);
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
