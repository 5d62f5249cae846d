// deno-lint-ignore-file no-console
// `deno task chaos [--short] [filter...]`: runs every scenario in chaos/scenarios/, checks through
// /proc that nothing it started is left running, and prints one summary table ending in
// "N passed, N failed".

import type { Scenario } from "./scenario.ts";

const args = Deno.args.filter((a) => !a.startsWith("--"));
const short = Deno.args.includes("--short");
const dir = new URL("./scenarios/", import.meta.url);

/** Pids of every live descendant of this process (zombies count: nobody reaped them). */
function descendants(): number[] {
  const children = new Map<number, number[]>();
  for (const entry of Deno.readDirSync("/proc")) {
    const pid = Number(entry.name);
    if (!Number.isInteger(pid)) continue;
    let stat: string;
    try {
      stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    } catch {
      continue; // gone meanwhile
    }
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    const list = children.get(ppid) ?? [];
    list.push(pid);
    children.set(ppid, list);
  }
  const out: number[] = [];
  const todo = [Deno.pid];
  while (todo.length > 0) {
    for (const c of children.get(todo.pop()!) ?? []) {
      out.push(c);
      todo.push(c);
    }
  }
  return out;
}

async function leftovers(): Promise<number[]> {
  // Give exiting children a moment to be reaped before counting them.
  for (let i = 0; i < 50; i++) {
    const left = descendants();
    if (left.length === 0) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
  return descendants();
}

const names = [...Deno.readDirSync(dir)]
  .filter((e) => e.isFile && e.name.endsWith(".ts"))
  .map((e) => e.name)
  .sort()
  .filter((n) => args.length === 0 || args.some((a) => n.includes(a)));

const rows: string[][] = [];
let passed = 0;
let failed = 0;
for (const file of names) {
  const scenario = (await import(new URL(file, dir).href)).default as Scenario;
  const iterations = short ? scenario.iterations.short : scenario.iterations.full;
  const t0 = performance.now();
  let count = 0;
  let failures: string[];
  try {
    ({ count, failures } = await scenario.run({ iterations, full: !short }));
  } catch (err) {
    failures = [`scenario threw: ${err instanceof Error ? err.stack : String(err)}`];
  }
  const left = await leftovers();
  if (left.length > 0) failures.push(`left running: pids ${left.join(", ")}`);
  const ok = failures.length === 0 && count > 0;
  if (ok) passed++;
  else failed++;
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  rows.push([scenario.name, String(count), String(failures.length), String(left.length), secs]);
  console.error(`${ok ? "ok  " : "FAIL"} ${scenario.name} (${count} in ${secs} s)`);
  for (const f of failures.slice(0, 10)) console.error(`     - ${f}`);
}

const head = ["scenario", "count", "failures", "leftovers", "seconds"];
const table = [head, head.map(() => "---"), ...rows];
for (const r of table) console.log(`| ${r.join(" | ")} |`);
console.log(`chaos: ${passed} passed, ${failed} failed`);
Deno.exit(failed === 0 ? 0 : 1);
