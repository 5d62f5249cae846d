// The v8 codec of process pools (structured-clone semantics over a child's stdin and stdout).
//
// node:v8 decodes a typed array or DataView as a view into the bytes it reads: a task's result
// (or argument) then shared its ArrayBuffer with fjord's frame bytes and with the other results
// of the same batch, which `.buffer` exposed, and transferring one detached the others. Each one
// is copied into a buffer of its own here, as a Worker's postMessage gives.

import * as v8 from "node:v8";
import type { Codec } from "../runtime/_frames.ts";

// Node's documented hook for host objects (typed arrays among them), missing from the types.
type HostObjectReader = { _readHostObject(this: v8.Deserializer): unknown };
const readView = (v8.DefaultDeserializer.prototype as unknown as HostObjectReader)._readHostObject;

class OwningDeserializer extends v8.DefaultDeserializer {
  _readHostObject(): unknown {
    const view = readView.call(this) as ArrayBufferView;
    if (view instanceof DataView) {
      return new DataView(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
    }
    // %TypedArray%.prototype.slice copies into a new buffer of the view's own class (a Buffer
    // stays a Buffer, and does not land in Buffer's shared pool).
    return Uint8Array.prototype.slice.call(view as Uint8Array);
  }
}

/** v8 serialization whose decoded typed arrays and DataViews own their buffers. */
export const V8_CODEC: Codec = {
  serialize: (value) => v8.serialize(value),
  deserialize: (payload) => {
    const d = new OwningDeserializer(payload);
    d.readHeader();
    return d.readValue();
  },
};
