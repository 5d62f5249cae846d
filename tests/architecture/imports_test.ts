// The layout's rules, checked on the import graph of the non-test sources: arrows point down
// only (runtime/ lowest, then config/, coord/, lock/ and process/, futures/ and service/,
// backends/, mod.ts), config/ and runtime/ import nothing of ours above them, no cycle crosses a
// folder, and inside a folder only type-only cycles remain.

import assert from "node:assert/strict";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = normalize(join(dirname(fileURLToPath(import.meta.url)), "..", ".."));

/** Lower number = lower floor. Folders on one floor must not import each other. */
const FLOORS: Record<string, number> = {
  runtime: 0,
  config: 1,
  coord: 2,
  lock: 3,
  process: 3,
  futures: 4,
  service: 4,
  backends: 5,
  "mod.ts": 6,
};

interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}

function sources(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of Deno.readDirSync(join(ROOT, dir))) {
      const rel = dir === "" ? e.name : `${dir}/${e.name}`;
      if (e.isDirectory) walk(rel);
      else if (e.isFile && rel.endsWith(".ts")) out.push(rel);
    }
  };
  for (const top of Object.keys(FLOORS)) {
    if (top.endsWith(".ts")) out.push(top);
    else {
      try {
        walk(top);
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
    }
  }
  return out;
}

// import/export ... from "x"; import("x"); new URL("x", import.meta.url); import.meta.resolve("x")
const PATTERNS: [RegExp, boolean][] = [
  [/^\s*import\s+type\s[^;]*?from\s*["'](\.[^"']+)["']/gms, true],
  [/^\s*export\s+type\s[^;]*?from\s*["'](\.[^"']+)["']/gms, true],
  [/^\s*(?:import|export)\s(?!type\s)([^;]*?)from\s*["'](\.[^"']+)["']/gms, false],
  [/^\s*import\s*["'](\.[^"']+)["']/gms, false],
  [/import\(\s*["'](\.[^"']+)["']\s*\)/g, false],
  [/new URL\(\s*["'](\.[^"']+)["']\s*,\s*import\.meta\.url/g, false],
  [/import\.meta\.resolve\(\s*["'](\.[^"']+)["']/g, false],
];

function edges(file: string): Edge[] {
  const text = Deno.readTextFileSync(join(ROOT, file))
    // JSDoc examples import the package by name; strip comments so they are not read.
    .replace(/\/\*[\s\S]*?\*\//g, "");
  const out: Edge[] = [];
  for (const [re, typeOnly] of PATTERNS) {
    for (const m of text.matchAll(re)) {
      const spec = m.length > 2 ? m[2]! : m[1]!;
      // `import { type A, type B } from` is type-only too.
      const clause = m.length > 2 ? m[1]! : "";
      const allTypes = clause.includes("{") &&
        clause.replace(/[{}\s]/g, "").split(",").filter(Boolean).every((n) => n.startsWith("type"));
      const to = relative(ROOT, join(ROOT, dirname(file), spec));
      out.push({ from: file, to, typeOnly: typeOnly || allTypes });
    }
  }
  return out;
}

function folderOf(file: string): string {
  return file.includes("/") ? file.slice(0, file.indexOf("/")) : file;
}

const files = sources();
const all = files.flatMap(edges).filter((e) => folderOf(e.to) in FLOORS);

Deno.test("imports only point down the floors: runtime, config, coord, lock/process, futures/service, backends, mod.ts", () => {
  const bad = all.filter((e) => {
    const a = folderOf(e.from), b = folderOf(e.to);
    return a !== b && FLOORS[b]! >= FLOORS[a]!;
  }).map((e) => `${e.from} -> ${e.to}`);
  assert.deepEqual(bad, []);
});

Deno.test("runtime/ and config/ import nothing of ours outside themselves", () => {
  const bad = all.filter((e) =>
    (folderOf(e.from) === "runtime" || folderOf(e.from) === "config") &&
    folderOf(e.to) !== folderOf(e.from)
  ).map((e) => `${e.from} -> ${e.to}`);
  assert.deepEqual(bad, []);
});

Deno.test("inside a folder only type-only import cycles remain", () => {
  const graph = new Map<string, string[]>();
  for (const e of all) {
    if (e.typeOnly || folderOf(e.from) !== folderOf(e.to)) continue;
    graph.set(e.from, [...(graph.get(e.from) ?? []), e.to]);
  }
  const cycles: string[] = [];
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (n: string): void => {
    state.set(n, 1);
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      if (state.get(m) === 1) cycles.push([...stack.slice(stack.indexOf(m)), m].join(" -> "));
      else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, 2);
  };
  for (const n of graph.keys()) if (!state.has(n)) visit(n);
  assert.deepEqual(cycles, []);
});

Deno.test("the import reader sees the files it checks", () => {
  // Guards the checks above against passing vacuously.
  assert.ok(files.includes("runtime/clock.ts"));
  assert.ok(all.some((e) => e.from.startsWith("service/") && e.to.startsWith("runtime/")));
  assert.ok(all.some((e) => e.typeOnly));
});
