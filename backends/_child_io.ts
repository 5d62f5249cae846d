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
 * Reads a child's stdout until it closes: event lines go to `onEvent`, the rest to our stdout.
 */
export async function pumpChildStdout(
  readable: ReadableStream<Uint8Array>,
  onEvent: (event: unknown) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let buf = "";
  for await (const chunk of readable) {
    buf += decoder.decode(chunk, { stream: true });
    let out = "";
    let i: number;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i + 1);
      buf = buf.slice(i + 1);
      if (line.startsWith(EVENT_MARKER)) {
        try {
          onEvent(JSON.parse(line.slice(EVENT_MARKER.length)));
        } catch {
          out += line;
        }
      } else {
        out += line;
      }
    }
    // A partial line is passed on at once unless it may be the start of an event line.
    if (buf !== "" && buf[0] !== EVENT_MARKER[0]) {
      out += buf;
      buf = "";
    }
    if (out !== "") await writeOut(out).catch(() => {});
  }
  buf += decoder.decode();
  if (buf !== "") await writeOut(buf).catch(() => {});
}
