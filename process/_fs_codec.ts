// Python's os.fsdecode()/os.fsencode() on Linux: UTF-8 with surrogateescape. A byte that is not
// part of valid UTF-8 stands for itself as a lone U+DC80–U+DCFF and comes back unchanged, so text
// work (masking secrets) on binary output keeps every other byte, as oslo's does.
// TextDecoder/TextEncoder would turn such a byte into U+FFFD (EF BF BD).

const encoder = new TextEncoder();
const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

// ignoreBOM: a leading byte order mark is output like any other (os.fsdecode keeps it as U+FEFF).
const lenient = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * Output bytes as the text `execute()` and `sshExecute()` resolve with: UTF-8, a byte that is not
 * valid UTF-8 as U+FFFD, a leading byte order mark kept.
 */
export function decodeOutput(bytes: Uint8Array): string {
  return lenient.decode(bytes);
}

/** `bytes` as text, each byte that is not valid UTF-8 as a lone U+DC80–U+DCFF. */
export function fsdecode(bytes: Uint8Array): string {
  try {
    return strict.decode(bytes);
  } catch {
    // Some bytes are not UTF-8: decode by hand.
  }
  const units = new Uint16Array(bytes.length); // never more UTF-16 units than bytes
  let n = 0;
  for (let i = 0; i < bytes.length;) {
    const length = utf8Length(bytes, i);
    const lead = bytes[i]!;
    if (length === 0) {
      units[n++] = 0xdc00 + lead;
      i++;
      continue;
    }
    let code = length === 1 ? lead : lead & (0xff >> (length + 1));
    for (let k = 1; k < length; k++) code = (code << 6) | (bytes[i + k]! & 0x3f);
    if (code >= 0x10000) {
      units[n++] = 0xd800 + ((code - 0x10000) >> 10);
      units[n++] = 0xdc00 + ((code - 0x10000) & 0x3ff);
    } else {
      units[n++] = code;
    }
    i += length;
  }
  const parts: string[] = [];
  for (let at = 0; at < n; at += 8192) {
    parts.push(String.fromCharCode(...units.subarray(at, Math.min(at + 8192, n))));
  }
  return parts.join("");
}

/** The length of the valid UTF-8 sequence at `i` (RFC 3629's table), or 0. */
function utf8Length(bytes: Uint8Array, i: number): number {
  const lead = bytes[i]!;
  if (lead < 0x80) return 1;
  const next = (k: number, low = 0x80, high = 0xbf): boolean => {
    const b = bytes[i + k];
    return b !== undefined && b >= low && b <= high;
  };
  if (lead >= 0xc2 && lead <= 0xdf) return next(1) ? 2 : 0;
  if (lead >= 0xe0 && lead <= 0xef) {
    const ok = lead === 0xe0 ? next(1, 0xa0) : lead === 0xed ? next(1, 0x80, 0x9f) : next(1);
    return ok && next(2) ? 3 : 0;
  }
  if (lead >= 0xf0 && lead <= 0xf4) {
    const ok = lead === 0xf0 ? next(1, 0x90) : lead === 0xf4 ? next(1, 0x80, 0x8f) : next(1);
    return ok && next(2) && next(3) ? 4 : 0;
  }
  return 0;
}

/** The bytes of `text`, each lone U+DC80–U+DCFF written back as the byte it stands for. */
export function fsencode(text: string): Uint8Array {
  // With the u flag a class of low surrogates matches only lone ones, never half of a pair.
  if (!/[\udc80-\udcff]/u.test(text)) return encoder.encode(text);
  const out = new Uint8Array(text.length * 3); // at most 3 bytes per UTF-16 unit
  let at = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const low = text.charCodeAt(i + 1); // NaN past the end
    if (unit >= 0xdc80 && unit <= 0xdcff) {
      out[at++] = unit - 0xdc00; // an escaped byte
    } else if (unit >= 0xd800 && unit <= 0xdbff && low >= 0xdc00 && low <= 0xdfff) {
      at += encoder.encodeInto(text.slice(i, i + 2), out.subarray(at)).written;
      i++;
    } else if (unit < 0x80) {
      out[at++] = unit;
    } else {
      at += encoder.encodeInto(text[i]!, out.subarray(at)).written; // a lone other one: U+FFFD
    }
  }
  return out.slice(0, at);
}
