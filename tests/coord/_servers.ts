// Which coordination engines the coord tests run on. etcd and redis come from .ci/servers.sh
// (FJORD_ETCD_URL, FJORD_REDIS_URL, FJORD_ETCD_CLUSTER; its default ports otherwise). A test
// needing an engine that does not answer is skipped with a message, except under CI, where it
// fails: CI must run them.

import { waitFor } from "../_util.ts";

export interface Engine {
  name: "memory" | "etcd" | "redis";
  url: string;
  /** Whether the test can use it; false only outside CI with no server. */
  available: boolean;
}

async function answers(url: string): Promise<boolean> {
  const first = url.replace(/^[a-z]+:\/\//, "").split(",")[0]!;
  const [hostname, port] = first.split(":") as [string, string];
  try {
    const c = await Deno.connect({ hostname, port: Number(port) });
    c.close();
    return true;
  } catch {
    return false;
  }
}

const inCI = Deno.env.get("CI") !== undefined && Deno.env.get("CI") !== "";
const skipped = new Set<string>();

async function engine(name: "etcd" | "redis", url: string): Promise<Engine> {
  const ok = await answers(url);
  if (!ok && !inCI && !skipped.has(url)) {
    skipped.add(url);
    // deno-lint-ignore no-console -- tells the developer why tests were skipped
    console.warn(
      `coord tests on ${url} skipped: no server answers (start one: .ci/servers.sh start)`,
    );
  }
  return { name, url, available: ok || inCI };
}

export const ETCD_URL = Deno.env.get("FJORD_ETCD_URL") ?? "etcd://127.0.0.1:23790";
export const REDIS_URL = Deno.env.get("FJORD_REDIS_URL") ?? "redis://127.0.0.1:63790";
export const ETCD_CLUSTER = Deno.env.get("FJORD_ETCD_CLUSTER") ??
  "etcd://127.0.0.1:24791,127.0.0.1:24792,127.0.0.1:24793";

/** memory, etcd and redis, each with whether it can run here. */
export const engines: Engine[] = [
  { name: "memory", url: "memory://coord-tests", available: true },
  await engine("etcd", ETCD_URL),
  await engine("redis", REDIS_URL),
];

/** The 3-member etcd cluster, if it answers (or under CI). */
export const cluster: Engine = await engine("etcd", ETCD_CLUSTER);

/** Keys on the server under a lock's directory (memory: undefined, not inspectable). */
export async function serverKeys(engine: Engine, lockName: string): Promise<number | undefined> {
  const dir = `fjord/lock/${encodeURIComponent(lockName)}/`;
  if (engine.name === "etcd") {
    const base = `http://${engine.url.slice("etcd://".length).split(",")[0]}`;
    const end = dir.slice(0, -1) + "0";
    const r = await fetch(`${base}/v3/kv/range`, {
      method: "POST",
      body: JSON.stringify({ key: btoa(dir), range_end: btoa(end), count_only: true }),
    });
    const j = await r.json() as { count?: string };
    return Number(j.count ?? "0");
  }
  if (engine.name === "redis") {
    const { RespConnection } = await import("../../coord/_resp.ts");
    const [hostname, port] = engine.url.slice("redis://".length).split(":") as [string, string];
    const c = await RespConnection.open(hostname, Number(port));
    try {
      // A directory is one hash of its keys (see coord/_redis_store.ts).
      return await c.send("HLEN", `fjord:dir:${dir}`) as number;
    } finally {
      c.close();
    }
  }
  return undefined;
}

/** A name no other test run uses. */
export function fresh(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

/**
 * A Redis server of the test's own (a free port, no persistence, as .ci/servers.sh runs it) that
 * the test may kill and restart: a restart forgets everything, as an unpersisted Redis does.
 */
export interface OwnRedis extends AsyncDisposable {
  readonly url: string;
  /** The current server process (a test may freeze it). */
  readonly pid: number;
  /** SIGKILLs the server and starts a new, empty one on the same port. */
  restart(): Promise<void>;
}

/** How {@linkcode ownRedis} runs its server. */
export interface OwnRedisOptions {
  /**
   * Its listen backlog (`--tcp-backlog`): 1 lets {@linkcode fillAcceptQueue} fill the accept
   * queue of a frozen server with two connections. @default {511}
   */
  tcpBacklog?: number;
}

/** Starts an {@linkcode OwnRedis} (needs `redis-server` on PATH). */
export async function ownRedis(options: OwnRedisOptions = {}): Promise<OwnRedis> {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  const url = `redis://127.0.0.1:${port}`;
  const start = async (): Promise<Deno.ChildProcess> => {
    const server = new Deno.Command("redis-server", {
      args: [
        "--bind",
        "127.0.0.1",
        "--port",
        String(port),
        "--save",
        "",
        "--appendonly",
        "no",
        "--notify-keyspace-events",
        "Kgx",
        "--tcp-backlog",
        String(options.tcpBacklog ?? 511),
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      await waitFor(() => answers(url), `redis-server on port ${port} to answer`, 10_000);
    } catch (error) {
      server.kill("SIGKILL");
      await server.status;
      throw error;
    }
    return server;
  };
  let server = await start();
  const stop = (): Promise<void> => killServer(server);
  return {
    url,
    get pid(): number {
      return server.pid;
    },
    async restart(): Promise<void> {
      await stop();
      server = await start();
    },
    [Symbol.asyncDispose]: stop,
  };
}

// SIGKILLs a test's own server, frozen (SIGSTOP) or not, and reaps it.
async function killServer(server: Deno.ChildProcess): Promise<void> {
  try {
    server.kill("SIGCONT");
    server.kill("SIGKILL");
  } catch {
    // Already gone.
  }
  await server.status;
}

/**
 * A one-member etcd of the test's own (free ports, a throw-away data directory) that the test may
 * freeze (SIGSTOP) without stalling the shared server other tests use.
 */
export interface OwnEtcd extends AsyncDisposable {
  readonly url: string;
  readonly pid: number;
}

/** Starts an {@linkcode OwnEtcd} (needs `etcd` on PATH). */
export async function ownEtcd(): Promise<OwnEtcd> {
  const freePort = (): number => {
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = probe.addr.port;
    probe.close();
    return port;
  };
  const [client, peer] = [freePort(), freePort()];
  const dir = await Deno.makeTempDir({ prefix: "fjord-etcd-" });
  const url = `etcd://127.0.0.1:${client}`;
  const server = new Deno.Command("etcd", {
    args: [
      "--name=own",
      `--data-dir=${dir}/data`,
      `--listen-client-urls=http://127.0.0.1:${client}`,
      `--advertise-client-urls=http://127.0.0.1:${client}`,
      `--listen-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-cluster=own=http://127.0.0.1:${peer}`,
      "--logger=zap",
      "--log-level=error",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const stop = async (): Promise<void> => {
    await killServer(server);
    await Deno.remove(dir, { recursive: true });
  };
  try {
    await waitFor(
      async () => {
        try {
          const r = await fetch(`http://127.0.0.1:${client}/v3/kv/range`, {
            method: "POST",
            body: JSON.stringify({ key: btoa("x") }),
          });
          await r.body?.cancel();
          return r.ok;
        } catch {
          return false;
        }
      },
      `etcd on port ${client} to answer`,
      10_000,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, pid: server.pid, [Symbol.asyncDispose]: stop };
}

/**
 * Fills the accept queue of a frozen (SIGSTOPped) server: connects until a connect does not
 * complete within 300 ms (that one is cancelled). From then on the kernel drops new SYNs, so a
 * connect hangs as to a black-holed host. Returns the connections to close afterwards.
 */
export async function fillAcceptQueue(url: string): Promise<Deno.Conn[]> {
  const [hostname, port] = url.replace(/^[a-z]+:\/\//, "").split(":") as [string, string];
  const conns: Deno.Conn[] = [];
  while (conns.length < 64) {
    const stop = AbortSignal.timeout(300);
    const conn = await Deno.connect({ hostname, port: Number(port), signal: stop }).catch(
      (error) => {
        if (stop.aborted) return undefined;
        throw error;
      },
    );
    if (conn === undefined) return conns;
    conns.push(conn);
  }
  for (const c of conns) c.close();
  throw new Error(`the accept queue of ${url} took 64 connections without filling`);
}

/**
 * How many connects to `url`'s port are under way on this host (sockets in SYN-SENT, from
 * /proc/net/tcp: Linux only): one cancelled by its signal is gone, one merely abandoned is left
 * to the kernel's SYN retries. Read through `cat`: Deno reads /proc only with --allow-all, which
 * `deno task test` does not grant.
 */
export async function connectsUnderWay(url: string): Promise<number> {
  const port = Number(url.replace(/^[a-z]+:\/\//, "").split(":")[1]);
  const remote = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const SYN_SENT = "02";
  const out = await new Deno.Command("cat", { args: ["/proc/net/tcp"], stderr: "inherit" })
    .output();
  if (!out.success) throw new Error(`cat /proc/net/tcp failed: ${out.code}`);
  return new TextDecoder().decode(out.stdout).split("\n").slice(1).filter((line) => {
    const fields = line.trim().split(/\s+/);
    return fields[2]?.endsWith(remote) === true && fields[3] === SYN_SENT;
  }).length;
}
