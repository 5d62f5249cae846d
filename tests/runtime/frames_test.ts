import assert from "node:assert/strict";
import * as v8 from "node:v8";
import { encodeFrame, FrameReader, JSON_CODEC } from "../../runtime/_frames.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}

function read(chunks: Uint8Array[]): { text: string; messages: unknown[]; writes: number } {
  const reader = new FrameReader(v8);
  let text = "";
  let writes = 0;
  const messages: unknown[] = [];
  for (const chunk of chunks) {
    reader.push(chunk, (bytes) => {
      writes++;
      text += dec.decode(bytes);
    }, (m) => messages.push(m));
  }
  text += dec.decode(reader.rest());
  return { text, messages, writes };
}

Deno.test("FrameReader finds frames between the child's own output, split anywhere", () => {
  const stream = concat(
    enc.encode("partial line "),
    encodeFrame([0, { ev: "started", n: 1n }], v8),
    enc.encode("rest of it\n\x1enot a frame\n"),
    encodeFrame([1, new Map([["a", 1]])], v8),
    encodeFrame([2, { json: ["é", 1.5, null] }], JSON_CODEC),
    enc.encode("tail"),
  );
  const whole = read([stream]);
  assert.equal(whole.text, "partial line rest of it\n\x1enot a frame\ntail");
  assert.deepEqual(whole.messages, [
    [0, { ev: "started", n: 1n }],
    [1, new Map([["a", 1]])],
    [2, { json: ["é", 1.5, null] }],
  ]);
  // Every split point gives the same result.
  for (let i = 1; i < stream.byteLength; i++) {
    const split = read([stream.subarray(0, i), stream.subarray(i)]);
    assert.equal(split.text, whole.text, `split at ${i}`);
    assert.deepEqual(split.messages, whole.messages, `split at ${i}`);
  }
});

Deno.test("FrameReader passes plain output on at once, without waiting for a newline", () => {
  const reader = new FrameReader();
  const out: string[] = [];
  reader.push(enc.encode("no newline yet"), (b) => out.push(dec.decode(b)), () => {});
  assert.deepEqual(out, ["no newline yet"]);
});

Deno.test("FrameReader without the v8 codec refuses a v8 frame instead of misreading it", () => {
  const reader = new FrameReader();
  assert.throws(() => reader.push(encodeFrame([0, 1n], v8), () => {}, () => {}), TypeError);
});

Deno.test("encodeFrame throws a DataCloneError for what cannot be cloned", () => {
  assert.throws(() => encodeFrame({ f: () => 1 }, v8), (e: unknown) => {
    return e instanceof DOMException && e.name === "DataCloneError";
  });
});

Deno.test("FrameReader copies a big frame that arrives in many chunks a bounded number of times", () => {
  // A 2 MB frame (a big Config snapshot on its way to a child) in 16 KiB chunks, as a pipe
  // delivers it, between output. Joining each chunk onto what was held copied the frame
  // ~128 times over (~256 MB here; a 20 MB snapshot took 20 s).
  const big = "x".repeat(2_000_000);
  const stream = concat(enc.encode("before "), encodeFrame({ big }), enc.encode(" after"));
  const chunks: Uint8Array[] = [];
  for (let off = 0; off < stream.byteLength; off += 16_384) {
    chunks.push(stream.slice(off, off + 16_384));
  }
  // Counts the bytes of every Uint8Array the reader allocates by length.
  let allocated = 0;
  const Original = globalThis.Uint8Array;
  class Counting extends Original {
    constructor(...args: unknown[]) {
      if (typeof args[0] === "number") allocated += args[0];
      super(...(args as []));
    }
  }
  let result: ReturnType<typeof read>;
  globalThis.Uint8Array = Counting as Uint8ArrayConstructor;
  try {
    result = read(chunks);
  } finally {
    globalThis.Uint8Array = Original;
  }
  assert.equal(result.text, "before  after");
  assert.deepEqual(result.messages, [{ big }]);
  assert.ok(
    allocated < 3 * stream.byteLength,
    `allocated ${allocated} bytes for a ${stream.byteLength}-byte stream`,
  );
});

Deno.test("FrameReader keeps a copy of a frame split over chunks: the caller may overwrite a chunk once pushed", () => {
  // A frame whose start was held must survive its chunk being overwritten by the next read.
  const messages = [{ n: 1, s: "alpha" }, [2, "beta", { deep: "gamma".repeat(50) }], "delta"];
  const stream = concat(
    enc.encode("out-1 "),
    ...messages.map((m) => encodeFrame(m, v8)),
    enc.encode(" out-2"),
    encodeFrame({ last: true }),
  );
  for (const size of [1, 5, 64, 1024]) {
    const shared = new Uint8Array(size);
    const reader = new FrameReader(v8);
    const got: unknown[] = [];
    let text = "";
    for (let off = 0; off < stream.byteLength; off += size) {
      const n = Math.min(size, stream.byteLength - off);
      shared.set(stream.subarray(off, off + n));
      reader.push(shared.subarray(0, n), (b) => text += dec.decode(b), (m) => got.push(m));
      shared.fill(0xff); // what the next read would overwrite
    }
    assert.deepEqual(got, [...messages, { last: true }], `read size ${size}`);
    assert.equal(text, "out-1  out-2", `read size ${size}`);
  }
});
