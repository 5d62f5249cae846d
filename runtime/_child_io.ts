// The line protocol between a launcher and its child processes: events are stdout lines that
// start with a marker; everything else the child prints is passed through to our stdout.

/** Starts a child's event line on stdout. */
export const EVENT_MARKER = "\x1efjord:";

/** Splits a byte stream into text lines (without the newline). */
export async function* lines(readable: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buf = "";
  for await (const chunk of readable) {
    buf += decoder.decode(chunk, { stream: true });
    let i: number;
    while ((i = buf.indexOf("\n")) >= 0) {
      yield buf.slice(0, i);
      buf = buf.slice(i + 1);
    }
  }
  buf += decoder.decode();
  if (buf !== "") yield buf;
}

const encoder = new TextEncoder();

async function writeOut(text: string): Promise<void> {
  const bytes = encoder.encode(text);
  let off = 0;
  while (off < bytes.length) off += await Deno.stdout.write(bytes.subarray(off));
}

/**
 * Reads a child's stdout until it closes: event lines go to `onEvent`, the rest to `write`
 * (our stdout). The service may have left a partial line of its own just before an event, so
 * an event is found at the last marker of a line (its JSON cannot hold a raw marker).
 */
export async function pumpChildStdout(
  readable: ReadableStream<Uint8Array>,
  onEvent: (event: unknown) => void,
  write: (text: string) => Promise<void> = writeOut,
): Promise<void> {
  const decoder = new TextDecoder();
  let buf = "";
  for await (const chunk of readable) {
    buf += decoder.decode(chunk, { stream: true });
    let out = "";
    let i: number;
    while ((i = buf.indexOf("\n")) >= 0) {
      out += takeEvent(buf.slice(0, i + 1), onEvent);
      buf = buf.slice(i + 1);
    }
    // Pass a partial line on at once, up to where an event line may begin.
    const hold = buf.indexOf(EVENT_MARKER[0]!);
    out += hold < 0 ? buf : buf.slice(0, hold);
    buf = hold < 0 ? "" : buf.slice(hold);
    if (out !== "") await write(out).catch(() => {});
  }
  buf += decoder.decode();
  if (buf !== "") await write(takeEvent(buf, onEvent)).catch(() => {});
}

// Hands a line's event to `onEvent`; returns the text to pass through.
function takeEvent(line: string, onEvent: (event: unknown) => void): string {
  const at = line.lastIndexOf(EVENT_MARKER);
  if (at < 0) return line;
  let event: unknown;
  try {
    event = JSON.parse(line.slice(at + EVENT_MARKER.length));
  } catch {
    return line;
  }
  onEvent(event);
  return line.slice(0, at);
}
