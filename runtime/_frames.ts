// The wire format between fjord and a child Deno process it hosts: length-prefixed v8 frames
// (structured-clone semantics, the same as a Web Worker's postMessage).
//
// A frame is MAGIC (4 bytes), a uint32 big-endian payload length, then the v8-serialized payload.
// Parent → child frames travel alone on the child's stdin. Child → parent frames share the child's
// stdout with whatever the user's code prints (console.log, Deno.stdout, a nested Worker's output):
// the reader hands every byte that is not part of a frame on untouched, so a service's stdout
// reaches the parent's stdout as it was written. The magic starts with a byte (0x1e, record
// separator) that text output does not contain, so passed-through text is never held back.

/**
 * How a frame's payload is encoded. v8 serialization (node:v8, structured-clone semantics) for
 * programs that move arbitrary values (pools); JSON by default, because loading node:v8 costs a
 * child process ~12 ms of its start. A v8 payload begins with 0xff (the version tag), a JSON one
 * never does, so the reader tells them apart; it needs the v8 codec only to read v8 payloads.
 */
export interface Codec {
  serialize(value: unknown): Uint8Array;
  /** The value must not view `payload` (a typed array owning its own buffer, as postMessage). */
  deserialize(payload: Uint8Array): unknown;
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** Plain JSON: for messages made of strings, numbers, booleans, null, arrays and objects. */
export const JSON_CODEC: Codec = {
  serialize: (value) => textEncoder.encode(JSON.stringify(value)),
  deserialize: (payload) => JSON.parse(textDecoder.decode(payload)),
};

const V8_VERSION_TAG = 0xff;

const MAGIC = [0x1e, 0x66, 0x6a, 0x01] as const; // "\x1efj\x01"
const HEADER = MAGIC.length + 4;

/** Encodes `msg` as one frame; throws a `DataCloneError` DOMException when it cannot be cloned. */
export function encodeFrame(msg: unknown, codec: Codec = JSON_CODEC): Uint8Array {
  let payload: Uint8Array;
  try {
    payload = codec.serialize(msg);
  } catch (err) {
    // Same error a Worker's postMessage throws, so callers see one kind of clone failure.
    throw new DOMException(err instanceof Error ? err.message : String(err), "DataCloneError");
  }
  const out = new Uint8Array(HEADER + payload.byteLength);
  out.set(MAGIC);
  new DataView(out.buffer).setUint32(MAGIC.length, payload.byteLength);
  out.set(payload, HEADER);
  return out;
}

/** Splits a byte stream into frames (decoded) and the bytes between them (passed through). */
export class FrameReader {
  #buf: Uint8Array = new Uint8Array(0);
  // The chunks of a frame that is still incomplete, joined once it is whole: joining each chunk
  // as it came copied a big frame once per chunk (a 20 MB Config snapshot took 20 s to reach a
  // child process in 64 KiB chunks).
  #held: Uint8Array[] = [];
  #heldBytes = 0;
  /** How many bytes `#buf` plus `#held` must reach before the held frame can be complete. */
  #need = 0;
  #v8: Codec | undefined;

  /** `v8`: the codec for v8 payloads (else only JSON ones can be read). */
  constructor(v8?: Codec) {
    this.#v8 = v8;
  }

  /**
   * Adds a chunk: bytes that are not part of a frame go to `out`, decoded frames to `msg`, in
   * stream order. Bytes that may begin a frame are held until the next chunk tells (copied).
   * What goes to `out` may view `chunk`: a caller that reads into one buffer again and again
   * uses it before the next read.
   */
  push(chunk: Uint8Array, out: (bytes: Uint8Array) => void, msg: (message: unknown) => void): void {
    if (this.#buf.byteLength + this.#heldBytes + chunk.byteLength < this.#need) {
      this.#held.push(chunk.slice()); // the caller may reuse its buffer
      this.#heldBytes += chunk.byteLength;
      return;
    }
    this.#held.push(chunk);
    const buf = this.#join();
    this.#need = 0;
    let off = 0;
    while (off < buf.byteLength) {
      const at = buf.indexOf(MAGIC[0], off);
      if (at < 0) {
        out(buf.subarray(off));
        off = buf.byteLength;
        break;
      }
      if (at > off) out(buf.subarray(off, at));
      off = at;
      const avail = buf.byteLength - off;
      let match = true;
      for (let i = 1; i < MAGIC.length && i < avail; i++) {
        if (buf[off + i] !== MAGIC[i]) {
          match = false;
          break;
        }
      }
      if (!match) {
        out(buf.subarray(off, off + 1));
        off += 1;
        continue;
      }
      if (avail < HEADER) break; // a frame may begin here: wait for more
      const len = new DataView(buf.buffer, buf.byteOffset + off + MAGIC.length, 4).getUint32(0);
      if (avail < HEADER + len) {
        this.#need = HEADER + len;
        break;
      }
      const payload = buf.subarray(off + HEADER, off + HEADER + len);
      off += HEADER + len;
      if (payload[0] !== V8_VERSION_TAG) msg(JSON_CODEC.deserialize(payload));
      else if (this.#v8 !== undefined) msg(this.#v8.deserialize(payload));
      else throw new TypeError("Cannot read a v8-serialized frame without the v8 codec");
    }
    this.#buf = off === buf.byteLength ? new Uint8Array(0) : buf.slice(off);
  }

  /** Bytes held back at the end of the stream (an incomplete frame): passed through as they are. */
  rest(): Uint8Array {
    const rest = this.#join();
    this.#buf = new Uint8Array(0);
    this.#need = 0;
    return rest;
  }

  // `#buf` followed by the held chunks, as one array (the held chunks are dropped).
  #join(): Uint8Array {
    const parts = this.#held;
    this.#held = [];
    this.#heldBytes = 0;
    if (this.#buf.byteLength === 0 && parts.length === 1) return parts[0]!;
    const total = parts.reduce((n, p) => n + p.byteLength, this.#buf.byteLength);
    const buf = new Uint8Array(total);
    buf.set(this.#buf);
    let at = this.#buf.byteLength;
    for (const p of parts) {
      buf.set(p, at);
      at += p.byteLength;
    }
    return buf;
  }
}

/** Writes all of `bytes` to a sync writer (a frame must never be split by other output). */
export function writeAllSync(w: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.byteLength) off += w.writeSync(bytes.subarray(off));
}
