// A fake Redis for fault tests: it decodes the client's commands and lets the test answer each
// one with raw RESP bytes, or not at all (a frozen or black-holed server).

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A command as the fake server saw it: the script's kind for an EVALSHA, and its arguments. */
export interface FakeCommand {
  /** `SCRIPT`, `EVALSHA`, ... */
  name: string;
  /** For EVALSHA: which of the driver's scripts ("grant", "keepalive", "create", ... or "other"). */
  script: string | undefined;
  args: string[];
  /** For SCRIPT LOAD: the sha to answer (each script its own, 40 characters as a real one). */
  sha?: string;
  /** performance.now() when it arrived. */
  at: number;
}

/** What to send back: raw RESP text, or undefined to never answer. */
export type FakeAnswer = (cmd: FakeCommand) => string | undefined;

export interface FakeRedis extends AsyncDisposable {
  readonly url: string;
  readonly commands: FakeCommand[];
  answer: FakeAnswer;
  /** Closes every client connection (the server keeps listening). */
  dropClients(): void;
}

// The driver's scripts, told apart by a line only each has.
function scriptKind(text: string): string {
  if (text.includes("'leaseid'")) return "grant";
  if (text.includes("return redis.call('PEXPIRE', P..'lease:'..ARGV[1], ARGV[2])")) {
    return "keepalive";
  }
  if (text.includes("redis.call('DEL', P..'lease:'..l)")) return "revoke";
  if (text.includes("local dir, key, v, l, q = ARGV[1]")) return "create";
  if (text.includes("local dir, key, q = ARGV[1], ARGV[2], ARGV[3] == '1'")) return "delete";
  return "other";
}

/** The answers of a Redis that works for connect(): scripts load, a lease is granted and kept. */
export function healthy(cmd: FakeCommand): string | undefined {
  if (cmd.name === "SCRIPT") return `$40\r\n${cmd.sha}\r\n`;
  if (cmd.script === "grant") return "$7\r\n1-lease\r\n";
  if (cmd.script === "keepalive" || cmd.script === "revoke") return ":1\r\n";
  return "-ERR the fake server does not do this\r\n";
}

/** Starts a fake Redis on a free loopback port, answering with `answer`. */
export function fakeRedis(answer: FakeAnswer = healthy): FakeRedis {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const shas = new Map<string, string>();
  const commands: FakeCommand[] = [];
  let loaded = 0;
  let disposed = false;
  const fake: FakeRedis = {
    url: `redis://127.0.0.1:${listener.addr.port}`,
    commands,
    answer,
    dropClients(): void {
      for (const c of conns) {
        try {
          c.close();
        } catch {
          // already closed
        }
      }
      conns.clear();
    },
    async [Symbol.asyncDispose](): Promise<void> {
      if (disposed) return;
      disposed = true;
      listener.close();
      fake.dropClients();
      await accepting;
    },
  };
  const serve = async (conn: Deno.Conn): Promise<void> => {
    let buf = new Uint8Array(0);
    const chunk = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const n = await conn.read(chunk);
        if (n === null) return;
        const merged = new Uint8Array(buf.length + n);
        merged.set(buf);
        merged.set(chunk.subarray(0, n), buf.length);
        buf = merged;
        while (true) {
          const parsed = parseCommand(buf);
          if (!parsed) break;
          buf = buf.subarray(parsed.used);
          const [name = "", ...args] = parsed.args;
          let script: string | undefined;
          if (name.toUpperCase() === "SCRIPT") {
            const sha = String(loaded++).padStart(40, "0");
            shas.set(sha, scriptKind(args[1] ?? ""));
            const cmd = { name: "SCRIPT", script: undefined, args, sha, at: performance.now() };
            commands.push(cmd);
            const reply = fake.answer(cmd);
            if (reply !== undefined) await conn.write(encoder.encode(reply));
            continue;
          }
          if (name.toUpperCase() === "EVALSHA") script = shas.get(args[0] ?? "") ?? "other";
          const cmd = { name: name.toUpperCase(), script, args, at: performance.now() };
          commands.push(cmd);
          const reply = fake.answer(cmd);
          if (reply !== undefined) await conn.write(encoder.encode(reply));
        }
      }
    } catch {
      // The client or the test closed it.
    } finally {
      conns.delete(conn);
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
  };
  const served = new Set<Promise<void>>();
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        conns.add(conn);
        const p = serve(conn);
        served.add(p);
        p.finally(() => served.delete(p));
      }
    } catch {
      // closed
    }
    await Promise.all(served);
  })();
  return fake;
}

// One `*n\r\n($len\r\narg\r\n)*` command at the start of `buf`, or undefined (lengths count bytes).
function parseCommand(buf: Uint8Array): { args: string[]; used: number } | undefined {
  const line = (from: number): number => {
    for (let i = from; i + 1 < buf.length; i++) if (buf[i] === 13 && buf[i + 1] === 10) return i;
    return -1;
  };
  let end = line(0);
  if (end < 0) return undefined;
  const n = Number(decoder.decode(buf.subarray(1, end)));
  let at = end + 2;
  const args: string[] = [];
  for (let i = 0; i < n; i++) {
    end = line(at);
    if (end < 0) return undefined;
    const len = Number(decoder.decode(buf.subarray(at + 1, end)));
    if (buf.length < end + 2 + len + 2) return undefined;
    args.push(decoder.decode(buf.subarray(end + 2, end + 2 + len)));
    at = end + 2 + len + 2;
  }
  return { args, used: at };
}
