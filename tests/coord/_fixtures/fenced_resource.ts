// A resource protected by fencing tokens, as a JSON file: every read and write states its token;
// the resource remembers the highest token it has seen and refuses any lower one. Fencing the
// read too matters for read-modify-write: a new holder's read bars the old holder's late write
// even when that write would arrive before the new holder's. An exclusive file lock
// makes each check-and-write atomic across processes (the resource's own concurrency control,
// independent of the distributed lock under test).

export interface ResourceState {
  highest: string;
  counter: number;
  accepted: number;
  refused: number;
}

// Fixed size, rewritten in place with one write: no reader ever sees a truncated file.
const SIZE = 256;

function encodeState(state: ResourceState): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(state).padEnd(SIZE, " "));
}

export async function initResource(path: string): Promise<void> {
  const state: ResourceState = { highest: "0", counter: 0, accepted: 0, refused: 0 };
  await Deno.writeFile(path, encodeState(state));
}

/** Reads the state under a shared lock. */
export async function readResource(path: string): Promise<ResourceState> {
  using file = await Deno.open(path, { read: true });
  await file.lock(false);
  try {
    return JSON.parse(new TextDecoder().decode(await readAll(file))) as ResourceState;
  } finally {
    await file.unlock();
  }
}

/** Writes `counter` with `token`; false (and counted as refused) when the token is stale. */
export function fencedWrite(path: string, token: bigint, counter: number): Promise<boolean> {
  return update(path, token, (state) => {
    state.counter = counter;
    state.accepted++;
  }).then((r) => r.ok);
}

/** Reads the counter with `token`; `ok: false` (counted as refused) when the token is stale. */
export function fencedRead(path: string, token: bigint): Promise<{ ok: boolean; counter: number }> {
  return update(path, token, () => {});
}

async function update(
  path: string,
  token: bigint,
  change: (state: ResourceState) => void,
): Promise<{ ok: boolean; counter: number }> {
  using file = await Deno.open(path, { read: true, write: true });
  await file.lock(true);
  try {
    const state = JSON.parse(new TextDecoder().decode(await readAll(file))) as ResourceState;
    const ok = token >= BigInt(state.highest);
    if (ok) {
      state.highest = String(token);
      change(state);
    } else {
      state.refused++;
    }
    const bytes = encodeState(state);
    await file.seek(0, Deno.SeekMode.Start);
    let at = 0;
    while (at < bytes.length) at += await file.write(bytes.subarray(at));
    return { ok, counter: state.counter };
  } finally {
    await file.unlock();
  }
}

async function readAll(file: Deno.FsFile): Promise<Uint8Array> {
  await file.seek(0, Deno.SeekMode.Start);
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(4096);
  while (true) {
    const n = await file.read(buf);
    if (n === null) break;
    chunks.push(buf.slice(0, n));
  }
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
