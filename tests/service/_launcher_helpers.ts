import { waitFor } from "../_util.ts";
import type { Plan as RunnerPlan } from "./_fixtures/launcher/run_launcher.ts";
import type { MarkerOptions } from "./_fixtures/launcher/marker_service.ts";

export { waitFor };
// Helpers for the launcher tests: run the fixture main program as a real process, read the
// events its services write, poll for conditions, check /proc for leftover processes.

export const RUNNER = new URL("./_fixtures/launcher/run_launcher.ts", import.meta.url).href;
export const SERVICE = new URL("./_fixtures/launcher/marker_service.ts", import.meta.url).href;

export interface ServiceEvent {
  event: string;
  workerId: number;
  pid: number;
  t: number;
  inst: string;
  extra: string;
}

/** A run_launcher.ts plan; `service.dir` is filled in by {@linkcode Run.start}. */
export type Plan = Omit<RunnerPlan, "service"> & { service?: Omit<MarkerOptions, "dir"> };

export const DEFAULT_FLAGS = ["--allow-read", "--allow-write", "--allow-env", "--allow-run"];

interface Proc {
  pid: number;
  ppid: number;
  stat: string;
  comm: string;
}

// /proc needs --allow-all in Deno; `ps` needs only --allow-run.
async function processes(): Promise<Proc[]> {
  const out = await new Deno.Command("ps", {
    args: ["-e", "-o", "pid=,ppid=,stat=,comm="],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout).trim().split("\n").map((line) => {
    const [pid, ppid, stat, comm] = line.trim().split(/\s+/);
    return { pid: Number(pid), ppid: Number(ppid), stat: stat ?? "", comm: comm ?? "" };
  });
}

/** Whether each of `pids` exists and is not a zombie. */
export async function alivePids(pids: Iterable<number>): Promise<number[]> {
  const live = new Set(
    (await processes()).filter((p) => !p.stat.startsWith("Z")).map((p) => p.pid),
  );
  return [...pids].filter((p) => live.has(p));
}

async function liveChildren(ppid: number): Promise<Proc[]> {
  return (await processes()).filter((p) => p.ppid === ppid && !p.stat.startsWith("Z"));
}

/** The pids of live worker processes whose parent is `ppid` (its orphan reaper left out). */
export async function childrenOf(ppid: number): Promise<number[]> {
  return (await liveChildren(ppid)).filter((p) => p.comm !== "sh").map((p) => p.pid);
}

/** The pid of the orphan reaper (runtime/_orphan_reaper.ts, a /bin/sh) of `ppid`, if running. */
export async function reaperOf(ppid: number): Promise<number | undefined> {
  return (await liveChildren(ppid)).find((p) => p.comm === "sh")?.pid;
}

/** One run of the fixture main program. */
export class Run implements AsyncDisposable {
  readonly dir: string;
  readonly child: Deno.ChildProcess;
  #out: Promise<{ code: number; signal: Deno.Signal | null; stdout: string; stderr: string }>;
  #stdout = "";
  #stderr = "";

  private constructor(dir: string, child: Deno.ChildProcess) {
    this.dir = dir;
    this.child = child;
    const collect = async (s: ReadableStream<Uint8Array>, key: "out" | "err"): Promise<void> => {
      const dec = new TextDecoder();
      for await (const chunk of s) {
        if (key === "out") this.#stdout += dec.decode(chunk, { stream: true });
        else this.#stderr += dec.decode(chunk, { stream: true });
      }
    };
    const io = Promise.all([collect(child.stdout, "out"), collect(child.stderr, "err")]);
    this.#out = (async () => {
      const status = await child.status;
      await io;
      return {
        code: status.code,
        signal: status.signal,
        stdout: this.#stdout,
        stderr: this.#stderr,
      };
    })();
  }

  static async start(
    plan: Plan,
    options: { flags?: string[]; env?: Record<string, string>; dir?: string } = {},
  ): Promise<Run> {
    const dir = options.dir ?? await Deno.makeTempDir({ prefix: "fjord-launcher-" });
    const full = { ...plan, service: { dir, ...plan.service } };
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", ...(options.flags ?? DEFAULT_FLAGS), RUNNER, JSON.stringify(full)],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      ...(options.env ? { env: options.env } : {}),
    }).spawn();
    return new Run(dir, child);
  }

  get stdout(): string {
    return this.#stdout;
  }
  get stderr(): string {
    return this.#stderr;
  }
  /** stdout and stderr (fjord logs info to stdout, warnings and errors to stderr). */
  get output(): string {
    return this.#stdout + this.#stderr;
  }

  events(): ServiceEvent[] {
    let text = "";
    try {
      text = Deno.readTextFileSync(`${this.dir}/events.log`);
    } catch {
      return [];
    }
    return text.split("\n").filter((l) => l !== "").map((line) => {
      const [event, id, pid, t, inst, ...rest] = line.split(" ");
      return {
        event: event!,
        workerId: Number(id),
        pid: Number(pid),
        t: Number(t),
        inst: inst!,
        extra: rest.join(" "),
      };
    });
  }

  count(event: string): number {
    return this.events().filter((e) => e.event === event).length;
  }

  /** Waits until at least `n` events named `event` were written. */
  waitEvents(event: string, n: number, timeoutMs = 20_000): Promise<void> {
    return waitFor(
      () => this.#stdout.includes("LAUNCHED") && this.count(event) >= n,
      `${n} '${event}' events`,
      timeoutMs,
    );
  }

  kill(signal: Deno.Signal): void {
    this.child.kill(signal);
  }

  /** Waits for the program to exit. */
  exit(): Promise<{ code: number; signal: Deno.Signal | null; stdout: string; stderr: string }> {
    return this.#out;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await this.#out;
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}
