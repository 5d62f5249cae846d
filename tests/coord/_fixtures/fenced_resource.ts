// A resource protected by fencing tokens, as a JSON file: every write states its token and the
// resource refuses one that is not higher than the highest it accepted. An exclusive file lock
// makes each check-and-write atomic across processes (the resource's own concurrency control,
// independent of the distributed lock under test).

export interface ResourceState {
  highest: string;
  counter: number;
  accepted: number;
  refused: number;
}

export async function initResource(path: string): Promise<void> {
  const state: ResourceState = { highest: "0", counter: 0, accepted: 0, refused: 0 };
  await Deno.writeTextFile(path, JSON.stringify(state));
}

export async function readResource(path: string): Promise<ResourceState> {
  return JSON.parse(await Deno.readTextFile(path)) as ResourceState;
}

/** Writes `counter` with `token`; false (and counted as refused) when the token is stale. */
export async function fencedWrite(path: string, token: bigint, counter: number): Promise<boolean> {
  using file = await Deno.open(path, { read: true, write: true });
  await file.lock(true);
  try {
    const state = JSON.parse(new TextDecoder().decode(await readAll(file))) as ResourceState;
    const ok = token > BigInt(state.highest);
    if (ok) {
      state.highest = String(token);
      state.counter = counter;
      state.accepted++;
    } else {
      state.refused++;
    }
    const bytes = new TextEncoder().encode(JSON.stringify(state));
    await file.truncate(0);
    await file.seek(0, Deno.SeekMode.Start);
    let at = 0;
    while (at < bytes.length) at += await file.write(bytes.subarray(at));
    return ok;
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
