// Turning ProcessLimits into a wrapper command: util-linux `prlimit` when installed, else a
// `/bin/sh -c 'ulimit ...; exec "$@"'` wrapper for the limits whose ulimit flag and unit are the
// same in dash, bash (as sh) and busybox sh.
import type { ProcessLimits } from "./process_limits.ts";
import { checkNumber } from "../runtime/_check_number.ts";
import { describeValue } from "../runtime/_describe.ts";

interface Field {
  key: keyof ProcessLimits;
  /** util-linux prlimit's long option. */
  flag: string;
  /** The sh `ulimit` flag, when one is portable. */
  ulimit: string | undefined;
  /** Bytes per ulimit unit (1 for counts and seconds). */
  unit: number;
}

// oslo's order (ProcessLimits.prlimit_args()).
const FIELDS: readonly Field[] = [
  { key: "addressSpace", flag: "as", ulimit: "v", unit: 1024 },
  { key: "coreFileSize", flag: "core", ulimit: "c", unit: 512 },
  { key: "cpuTime", flag: "cpu", ulimit: "t", unit: 1 },
  { key: "dataSize", flag: "data", ulimit: "d", unit: 1024 },
  { key: "fileSize", flag: "fsize", ulimit: "f", unit: 512 },
  { key: "memoryLocked", flag: "memlock", ulimit: "l", unit: 1024 },
  { key: "numberFiles", flag: "nofile", ulimit: "n", unit: 1 },
  // dash spells it -p, bash -u (and bash's -p is the pipe size): no portable flag.
  { key: "numberProcesses", flag: "nproc", ulimit: undefined, unit: 1 },
  { key: "residentSetSize", flag: "rss", ulimit: "m", unit: 1024 },
  { key: "stackSize", flag: "stack", ulimit: "s", unit: 1024 },
];

export type LimitEntry = readonly [Field, number];

/** Validates the limits (at the call) and returns the given ones in oslo's order. */
export function limitEntries(limits: ProcessLimits): LimitEntry[] {
  if (typeof limits !== "object" || limits === null) {
    throw new TypeError(
      `Cannot execute as 'prlimit' must be an object: current value is ${describeValue(limits)}`,
    );
  }
  for (const key of Object.keys(limits)) {
    if (!FIELDS.some((f) => f.key === key)) {
      throw new TypeError(`Cannot execute as 'prlimit.${key}' is not a known process limit`);
    }
  }
  const out: LimitEntry[] = [];
  for (const field of FIELDS) {
    const value = limits[field.key];
    if (value === undefined) continue;
    checkNumber(
      value,
      "execute",
      `prlimit.${field.key}`,
      "an integer >= 0",
      (n) => Number.isSafeInteger(n) && n >= 0,
    );
    out.push([field, value]);
  }
  return out;
}

/** `prlimit --nofile=N:N ... --`: soft = hard, as oslo's wrapper does. */
export function prlimitPrefix(entries: readonly LimitEntry[]): string[] {
  return ["prlimit", ...entries.map(([f, v]) => `--${f.flag}=${v}:${v}`), "--"];
}

/**
 * `/bin/sh -c 'ulimit -n N && exec "$@"' sh`, or an error message naming the first limit that
 * has no portable ulimit form.
 */
export function ulimitPrefix(entries: readonly LimitEntry[]): string[] | string {
  const parts: string[] = [];
  for (const [f, v] of entries) {
    if (f.ulimit === undefined) {
      return `Cannot apply the limit 'prlimit.${f.key}': util-linux prlimit is not installed ` +
        `and /bin/sh's ulimit has no portable flag for it`;
    }
    if (v % f.unit !== 0) {
      return `Cannot apply the limit 'prlimit.${f.key}' = ${v}: util-linux prlimit is not ` +
        `installed and /bin/sh's ulimit -${f.ulimit} counts in units of ${f.unit} bytes`;
    }
    parts.push(`ulimit -${f.ulimit} ${v / f.unit}`);
  }
  return ["/bin/sh", "-c", `${parts.join(" && ")} && exec "$@"`, "sh"];
}

let prlimitInstalled: boolean | undefined;

/** Whether util-linux prlimit is known to be installed (`undefined`: not tried yet). */
export function prlimitAvailable(): boolean | undefined {
  return prlimitInstalled;
}

/** Records what spawning `prlimit` showed; tests force the ulimit fallback with `false`. */
export function setPrlimitAvailable(value: boolean | undefined): void {
  prlimitInstalled = value;
}
