// deno-lint-ignore-file no-console -- benchmarks report on stdout/stderr by design
// W8a and W8b (peer kit definitions) for fjord's coord/ on etcd and redis, with the Deno floors
// measured in the same run: a raw etcd JSON-gateway txn pair over fetch, a raw RESP
// SET NX PX + DEL pair over Deno.connect. TTL 2 s for every lock, as for the peers.
//
//   W8a: 1,000 sequential uncontended acquire+release pairs after 10 untimed ones (ms per pair),
//        fjord and the floor alternating in blocks of 100
//   W8b: 4 processes released together, each 200 x (lock -> read counter -> +1 -> write -> unlock)

import { connect } from "../coord/mod.ts";
import { check, emit, log, median, percentile, repeat } from "./_common.ts";
import { ensureServers, ETCD_URL, REDIS_URL } from "./_w8_servers.ts";

const PAIRS = 1000;
const BLOCK = 100;
const WARMUP = 10;
const TTL = 2000;
const PROCS = 4;
const ITERS = 200;

const engines = [
  { label: "fjord.coord etcd://", url: ETCD_URL },
  { label: "fjord.coord redis://", url: REDIS_URL },
];

type Pair = () => Promise<void>;

// Times the floor's pairs and fjord's in alternating blocks: a loopback round trip here flips
// between a fast and a slow mode (Redis: ~11 or ~70 us) and may do so mid-run, so both sides
// must see the same mix for their ratio to mean anything.
async function timeInterleaved(
  sides: { label: string; pair: Pair }[],
): Promise<void> {
  for (const { pair } of sides) for (let i = 0; i < WARMUP; i++) await pair();
  const samples = sides.map((): number[] => []);
  for (let block = 0; block < PAIRS / BLOCK; block++) {
    for (let s = 0; s < sides.length; s++) {
      const pair = sides[s]!.pair;
      for (let i = 0; i < BLOCK; i++) {
        const t0 = performance.now();
        await pair();
        samples[s]!.push(performance.now() - t0);
      }
    }
  }
  sides.forEach(({ label }, s) => {
    emit(label, "W8a", "median_ms", median(samples[s]!), "ms");
    emit(label, "W8a", "p99_ms", percentile(samples[s]!, 99), "ms");
  });
}

// fjord's side: a second client checks exclusion first, then one client locks and releases.
async function fjordPair(label: string, url: string, stack: AsyncDisposableStack): Promise<Pair> {
  const a = stack.use(await connect(url, { ttl: TTL }));
  const b = stack.use(await connect(url, { ttl: TTL }));
  const name = `w8a-${crypto.randomUUID()}`;
  const held = await a.lock(name);
  check((await b.tryLock(name)) === undefined, `${label}: a second client acquired a held lock`);
  await held.release();
  const other = await b.tryLock(name);
  check(other !== undefined, `${label}: the lock was not free after release`);
  await other!.release();
  return async () => {
    const h = await a.lock(name);
    await h.release();
  };
}

function b64(s: string): string {
  return btoa(s);
}

function etcdFloorPair(): Pair {
  const base = `http://${ETCD_URL.slice("etcd://".length).split(",")[0]}`;
  const key = b64(`w8a-floor-${crypto.randomUUID()}`);
  const token = b64(crypto.randomUUID());
  const post = async (body: unknown): Promise<{ succeeded?: boolean }> => {
    const r = await fetch(`${base}/v3/kv/txn`, { method: "POST", body: JSON.stringify(body) });
    return await r.json();
  };
  return async () => {
    const got = await post({
      compare: [{ key, target: 1, create_revision: "0" }],
      success: [{ request_put: { key, value: token } }],
    });
    check(got.succeeded === true, "etcd floor: create-if-absent failed");
    const del = await post({
      compare: [{ key, target: 3, value: token }],
      success: [{ request_delete_range: { key } }],
    });
    check(del.succeeded === true, "etcd floor: compare-value delete failed");
  };
}

async function redisFloorPair(stack: AsyncDisposableStack): Promise<Pair> {
  const [host, port] = REDIS_URL.slice("redis://".length).split(":") as [string, string];
  const conn = await Deno.connect({ hostname: host, port: Number(port) });
  stack.defer(() => conn.close());
  conn.setNoDelay(true);
  const enc = new TextEncoder();
  const buf = new Uint8Array(256);
  const key = `w8a-floor-${crypto.randomUUID()}`;
  const tok = crypto.randomUUID();
  const cmd = (...a: string[]): Uint8Array =>
    enc.encode(`*${a.length}\r\n${a.map((x) => `$${enc.encode(x).length}\r\n${x}\r\n`).join("")}`);
  const set = cmd("SET", key, tok, "NX", "PX", "2000");
  const del = cmd("DEL", key);
  const roundTrip = async (bytes: Uint8Array, expect: number): Promise<void> => {
    await conn.write(bytes);
    const n = await conn.read(buf);
    check(n !== null && buf[0] === expect, "redis floor: unexpected reply");
  };
  return async () => {
    await roundTrip(set, 43); // +OK
    await roundTrip(del, 58); // :1
  };
}

async function w8a(): Promise<void> {
  {
    await using stack = new AsyncDisposableStack();
    await timeInterleaved([
      { label: "deno etcd v3 JSON gateway txn (floor)", pair: etcdFloorPair() },
      {
        label: engines[0]!.label,
        pair: await fjordPair(engines[0]!.label, engines[0]!.url, stack),
      },
    ]);
  }
  {
    await using stack = new AsyncDisposableStack();
    await timeInterleaved([
      { label: "deno redis SET NX PX + DEL (floor)", pair: await redisFloorPair(stack) },
      {
        label: engines[1]!.label,
        pair: await fjordPair(engines[1]!.label, engines[1]!.url, stack),
      },
    ]);
  }
}

// W8b child: connect, say ready, wait for "go" on stdin, run the increments, print the times.
async function child(url: string, file: string, name: string): Promise<void> {
  await using coord = await connect(url, { ttl: TTL });
  console.log("ready");
  const reader = Deno.stdin.readable.getReader();
  await reader.read();
  reader.releaseLock();
  const start = performance.timeOrigin + performance.now();
  const buf = new Uint8Array(10);
  using f = await Deno.open(file, { read: true, write: true });
  for (let i = 0; i < ITERS; i++) {
    await using held = await coord.lock(name);
    held.assertHeld();
    await f.seek(0, Deno.SeekMode.Start);
    let got = 0;
    while (got < 10) {
      const n = await f.read(buf.subarray(got));
      if (n === null) break;
      got += n;
    }
    const v = Number(new TextDecoder().decode(buf.subarray(0, got)) || "0") + 1;
    await f.seek(0, Deno.SeekMode.Start);
    await f.write(new TextEncoder().encode(String(v).padStart(10, "0")));
  }
  const end = performance.timeOrigin + performance.now();
  console.log(JSON.stringify({ start, end }));
}

async function w8bTrial(label: string, url: string): Promise<number> {
  const file = await Deno.makeTempFile({ prefix: "fjord-w8b-" });
  await Deno.writeTextFile(file, "0".padStart(10, "0"));
  const name = `w8b-${crypto.randomUUID()}`;
  const self = new URL(import.meta.url).pathname;
  const children = Array.from({ length: PROCS }, () =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", self, "--child", url, file, name],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn());
  const readers = children.map((c) => c.stdout.pipeThrough(new TextDecoderStream()).getReader());
  const lines = children.map(() => "");
  const nextLine = async (i: number): Promise<string> => {
    while (!lines[i]!.includes("\n")) {
      const { value, done } = await readers[i]!.read();
      if (done) throw new Error(`${label}: W8b child ${i} ended early`);
      lines[i] += value;
    }
    const at = lines[i]!.indexOf("\n");
    const line = lines[i]!.slice(0, at);
    lines[i] = lines[i]!.slice(at + 1);
    return line;
  };
  await Promise.all(children.map((_, i) => nextLine(i)));
  const writers = children.map((c) => c.stdin.getWriter());
  await Promise.all(writers.map((w) => w.write(new TextEncoder().encode("go\n"))));
  const times = await Promise.all(children.map(async (_, i) => JSON.parse(await nextLine(i))));
  await Promise.all(writers.map((w) => w.close()));
  for (const r of readers) await r.cancel();
  const statuses = await Promise.all(children.map((c) => c.status));
  check(statuses.every((s) => s.success), `${label}: a W8b child failed`);
  const value = Number(await Deno.readTextFile(file));
  await Deno.remove(file);
  check(value === PROCS * ITERS, `${label}: counter ${value} != ${PROCS * ITERS}`);
  const wall = (Math.max(...times.map((t) => t.end)) - Math.min(...times.map((t) => t.start))) /
    1000;
  return wall;
}

async function w8b(label: string, url: string): Promise<void> {
  const walls = await repeat(() => w8bTrial(label, url));
  const wall = median(walls);
  emit(label, "W8b", "acq_per_s", (PROCS * ITERS) / wall, "acq/s");
  emit(label, "W8b", "wall_s", wall, "s");
}

if (Deno.args[0] === "--child") {
  await child(Deno.args[1]!, Deno.args[2]!, Deno.args[3]!);
} else {
  const stop = await ensureServers();
  try {
    await w8a();
    for (const { label, url } of engines) await w8b(label, url);
  } finally {
    await stop();
  }
  log("# W8a/W8b done");
}
