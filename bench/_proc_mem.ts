// Memory of a process tree from /proc (Linux): RSS (VmRSS) and PSS (smaps_rollup, which shares
// pages out fairly between the processes that map them, so it can be summed over a tree).

function children(): Map<number, number[]> {
  const kids = new Map<number, number[]>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      kids.set(ppid, [...(kids.get(ppid) ?? []), Number(e.name)]);
    } catch {
      // Gone meanwhile.
    }
  }
  return kids;
}

function kb(text: string, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text);
  return m ? Number(m[1]) : 0;
}

/** RSS and PSS in MB summed over `pid` and its descendants, and how many processes. */
export function treeMemory(pid: number): { rssMb: number; pssMb: number; procs: number } {
  const kids = children();
  const all: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift()!;
    all.push(p);
    queue.push(...(kids.get(p) ?? []));
  }
  let rss = 0;
  let pss = 0;
  for (const p of all) {
    try {
      rss += kb(Deno.readTextFileSync(`/proc/${p}/status`), "VmRSS");
      pss += kb(Deno.readTextFileSync(`/proc/${p}/smaps_rollup`), "Pss");
    } catch {
      // Gone meanwhile.
    }
  }
  return { rssMb: rss / 1024, pssMb: pss / 1024, procs: all.length };
}
