// Runs tests/coord/_fixtures/member.ts as a child process and reads its lines.

export interface Child {
  process: Deno.ChildProcess;
  pid: number;
  lines: string[];
  /** Resolves with the first line (from now or before) matching `re`. */
  line(re: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGKILLs (if alive) and waits for the exit. */
  kill(): Promise<void>;
}

const fixture = new URL("./_fixtures/member.ts", import.meta.url).pathname;

export function spawnMember(args: string[]): Child {
  const process = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net=127.0.0.1", "--allow-read", "--allow-write", fixture, ...args],
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  const pump = (async () => {
    let buffered = "";
    for await (const chunk of process.stdout.pipeThrough(new TextDecoderStream())) {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        lines.push(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
      for (const w of [...waiters]) w();
    }
  })();
  let exited = false;
  const status = process.status.then((s) => {
    exited = true;
    for (const w of [...waiters]) w();
    return s;
  });
  return {
    process,
    pid: process.pid,
    lines,
    async line(re: RegExp, timeoutMs = 20_000): Promise<string> {
      const deadline = performance.now() + timeoutMs;
      while (true) {
        const found = lines.find((l) => re.test(l));
        if (found !== undefined) return found;
        if (exited) throw new Error(`member ${process.pid} exited without a line matching ${re}`);
        const left = deadline - performance.now();
        if (left <= 0) throw new Error(`member ${process.pid}: no line matching ${re}: ${lines}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, left);
          function done(): void {
            clearTimeout(timer);
            waiters.delete(done);
            resolve();
          }
          waiters.add(done);
        });
      }
    },
    async kill(): Promise<void> {
      if (!exited) {
        try {
          process.kill("SIGCONT");
          process.kill("SIGKILL");
        } catch {
          // already gone
        }
      }
      await status;
      await pump;
    },
  };
}
