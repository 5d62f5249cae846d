// The messages between a pool (parent) and its Workers / child processes. Both directions carry
// batches in flat arrays, so one structured clone (or one v8 serialization) moves many tasks.

import { deserialize, serialize } from "node:v8";
import type { SerializedError } from "../runtime/_error_transfer.ts";

/** Parent → worker: run tasks. `b` = [id, moduleUrl, exportName, args, id, ...]. */
export interface RunMessage {
  t: "run";
  b: unknown[];
}

/** Worker → parent: results. `b` = [id, ok (1|0), value or SerializedError, id, ...]. */
export interface ResultMessage {
  t: "res";
  b: unknown[];
}

/** Worker → parent: the worker is about to die; `running` were started and are lost. */
export interface CrashMessage {
  t: "crash";
  running: number[];
  reason: string;
  error?: SerializedError;
}

/** Worker → parent: initialised, send tasks. */
export interface ReadyMessage {
  t: "ready";
}

export type ToWorker = RunMessage;
export type FromWorker = ResultMessage | CrashMessage | ReadyMessage;

/** Length-prefixed frames (uint32 big-endian length, then the payload) over a byte stream. */
function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.byteLength);
  new DataView(out.buffer).setUint32(0, payload.byteLength);
  out.set(payload, 4);
  return out;
}

/** Splits a byte stream back into frames. */
export class FrameReader {
  #buf: Uint8Array = new Uint8Array(0);

  /** Adds a chunk and returns every frame completed by it. */
  push(chunk: Uint8Array): Uint8Array[] {
    let buf: Uint8Array;
    if (this.#buf.byteLength === 0) buf = chunk;
    else {
      buf = new Uint8Array(this.#buf.byteLength + chunk.byteLength);
      buf.set(this.#buf);
      buf.set(chunk, this.#buf.byteLength);
    }
    const frames: Uint8Array[] = [];
    let off = 0;
    while (buf.byteLength - off >= 4) {
      const len = new DataView(buf.buffer, buf.byteOffset + off, 4).getUint32(0);
      if (buf.byteLength - off - 4 < len) break;
      frames.push(buf.subarray(off + 4, off + 4 + len));
      off += 4 + len;
    }
    this.#buf = off === buf.byteLength ? new Uint8Array(0) : buf.slice(off);
    return frames;
  }
}

/** A message as one frame of v8 serialization (structured-clone semantics). */
export function encodeFrame(msg: unknown): Uint8Array {
  let payload: Uint8Array;
  try {
    payload = serialize(msg);
  } catch (err) {
    // Same error a Worker's postMessage throws, so callers see one kind of clone failure.
    throw new DOMException(err instanceof Error ? err.message : String(err), "DataCloneError");
  }
  return frame(payload);
}

/** Decodes one frame's payload. */
export function decodePayload(payload: Uint8Array): unknown {
  return deserialize(payload);
}
