// The harness's arithmetic: medians and ranges over runs, and the headline comparisons (each
// fjord figure against the best peer and the Deno floor of the same run).

import { median } from "./_common.ts";

/** One measured value, as the scripts print it, plus the run it came from. */
export interface Row {
  run: number;
  peer: string;
  workload: string;
  metric: string;
  value: number;
  unit: string;
}

/** Who a row measures: fjord, a Deno floor (peer name with "(floor)"), or a peer library. */
export function sourceOf(peer: string): "fjord" | "floor" | "peer" {
  if (peer.startsWith("fjord.")) return "fjord";
  if (peer.includes("(floor)")) return "floor";
  return "peer";
}

/** A Deno floor is one measured by fjord's scripts (the peers' floors are peers here). */
export function isDenoFloor(peer: string): boolean {
  return sourceOf(peer) === "floor" && /^(deno|Worker)/.test(peer);
}

export interface Stat {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function stat(values: readonly number[]): Stat {
  return {
    median: median(values),
    min: Math.min(...values),
    max: Math.max(...values),
    n: values.length,
  };
}

/** A headline comparison: one fjord figure, the peers it competes with, and its floor. */
export interface Comparison {
  label: string;
  workload: string;
  metric: string;
  better: "higher" | "lower";
  fjord: string;
  /** Peers (not floors) it is compared with; the best of them per run is "best peer". */
  peers?: RegExp;
  /** The floor: the fastest Deno floor row matching, on `floorMetric` (default `metric`). */
  floor?: RegExp;
  floorMetric?: string;
}

export interface Compared {
  c: Comparison;
  fjord: Stat;
  unit: string;
  best?: { peer: string; stat: Stat; ratio: number; runRatios: Stat };
  floor?: { peer: string; stat: Stat; ratio: number; runRatios: Stat };
}

function values(rows: readonly Row[], peer: string, workload: string, metric: string): Row[] {
  return rows.filter((r) => r.peer === peer && r.workload === workload && r.metric === metric);
}

function pick(
  rows: readonly Row[],
  workload: string,
  metric: string,
  match: (peer: string) => boolean,
  better: "higher" | "lower",
): { peer: string; stat: Stat; byRun: Map<number, number> } | undefined {
  const names = [
    ...new Set(
      rows.filter((r) =>
        r.workload === workload && r.metric === metric &&
        match(r.peer)
      ).map((r) => r.peer),
    ),
  ];
  let best: { peer: string; stat: Stat; byRun: Map<number, number> } | undefined;
  for (const peer of names) {
    const rs = values(rows, peer, workload, metric);
    const s = stat(rs.map((r) => r.value));
    const wins = best === undefined ||
      (better === "higher" ? s.median > best.stat.median : s.median < best.stat.median);
    if (wins) best = { peer, stat: s, byRun: new Map(rs.map((r) => [r.run, r.value])) };
  }
  return best;
}

/** Per-run ratios fjord ÷ other, over the runs both have. */
function runRatios(fjord: Map<number, number>, other: Map<number, number>): Stat {
  const xs: number[] = [];
  for (const [run, v] of fjord) {
    const o = other.get(run);
    if (o !== undefined && o !== 0) xs.push(v / o);
  }
  return xs.length > 0 ? stat(xs) : { median: NaN, min: NaN, max: NaN, n: 0 };
}

export function compare(rows: readonly Row[], comparisons: readonly Comparison[]): Compared[] {
  const out: Compared[] = [];
  for (const c of comparisons) {
    const fr = values(rows, c.fjord, c.workload, c.metric);
    if (fr.length === 0) continue;
    const fjordByRun = new Map(fr.map((r) => [r.run, r.value]));
    const f = stat(fr.map((r) => r.value));
    const entry: Compared = { c, fjord: f, unit: fr[0]!.unit };
    if (c.peers) {
      const re = c.peers;
      const b = pick(
        rows,
        c.workload,
        c.metric,
        (p) => sourceOf(p) === "peer" && re.test(p),
        c.better,
      );
      if (b && b.stat.median !== 0) {
        entry.best = {
          peer: b.peer,
          stat: b.stat,
          ratio: f.median / b.stat.median,
          runRatios: runRatios(fjordByRun, b.byRun),
        };
      }
    }
    if (c.floor) {
      const re = c.floor;
      const fl = pick(
        rows,
        c.workload,
        c.floorMetric ?? c.metric,
        (p) => isDenoFloor(p) && re.test(p),
        c.better,
      );
      if (fl && fl.stat.median !== 0) {
        entry.floor = {
          peer: fl.peer,
          stat: fl.stat,
          ratio: f.median / fl.stat.median,
          runRatios: runRatios(fjordByRun, fl.byRun),
        };
      }
    }
    out.push(entry);
  }
  return out;
}

/** How many times better fjord is than `other` (> 1: fjord better), whatever the direction. */
export function advantage(ratio: number, better: "higher" | "lower"): number {
  return better === "higher" ? ratio : 1 / ratio;
}

/** The summarize.py number format. */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return "—";
  const a = Math.abs(v);
  if (Number.isInteger(v) && a >= 1000) return v.toLocaleString("en-US");
  if (a >= 1000) return Math.round(v).toLocaleString("en-US");
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  if (a === 0) return "0";
  return Number(v.toPrecision(3)).toString();
}

export function cell(s: Stat): string {
  if (s.n > 1 && s.min !== s.max) return `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`;
  return fmt(s.median);
}

function ratioCell(r: { ratio: number; runRatios: Stat }): string {
  const range = r.runRatios.n > 1 ? ` (${fmt(r.runRatios.min)}–${fmt(r.runRatios.max)})` : "";
  return `${fmt(r.ratio)}${range}`;
}

/** The comparison table (Markdown). */
export function comparisonTable(list: readonly Compared[]): string {
  const md = [
    "| workload | metric | better | fjord | best peer | fjord ÷ best peer | Deno floor | fjord ÷ floor |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const x of list) {
    md.push(
      `| ${x.c.workload} | ${x.c.metric} [${x.unit}] | ${x.c.better} | ${x.c.label}: ${
        cell(x.fjord)
      } | ${x.best ? `${x.best.peer}: ${cell(x.best.stat)}` : "—"} | ${
        x.best ? ratioCell(x.best) : "—"
      } | ${x.floor ? `${x.floor.peer}: ${cell(x.floor.stat)}` : "—"} | ${
        x.floor ? ratioCell(x.floor) : "—"
      } |`,
    );
  }
  return md.join("\n");
}

/** Every row, per workload: peers down, metrics across, median (min–max) over runs. */
export function fullTables(rows: readonly Row[]): string {
  const md: string[] = [];
  const workloads = [...new Set(rows.map((r) => r.workload))];
  for (const w of workloads) {
    const rs = rows.filter((r) => r.workload === w);
    const metrics = [...new Set(rs.map((r) => `${r.metric} [${r.unit}]`))];
    const peers = [...new Set(rs.map((r) => r.peer))];
    md.push(
      `\n### ${w}\n`,
      `| peer | ${metrics.join(" | ")} |`,
      `|---|${"---|".repeat(metrics.length)}`,
    );
    for (const p of peers) {
      const cells = metrics.map((m) => {
        const xs = rs.filter((r) => r.peer === p && `${r.metric} [${r.unit}]` === m).map((r) =>
          r.value
        );
        return xs.length > 0 ? cell(stat(xs)) : "—";
      });
      md.push(`| ${p} | ${cells.join(" | ")} |`);
    }
  }
  return md.join("\n");
}
