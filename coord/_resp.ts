// A small RESP2 client over Deno.connect: pipelined commands answered in order. The socket is
// read only while replies are awaited, so an idle connection holds no pending op and never keeps
// the process alive.

/** An error reply from the server. */
export class RespError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RespError";
  }
}

/** A decoded reply: simple/bulk strings as strings, integers as numbers, nil as null. */
export type Reply = string | number | null | Reply[];

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const CR = 13;

interface Pending {
  resolve: (r: Reply) => void;
  reject: (e: unknown) => void;
}

// One string, encoded once: arguments are nearly always ASCII, whose byte length is their length.
function encode(args: readonly (string | number | bigint)[]): Uint8Array {
  let text = `*${args.length}\r\n`;
  for (const a of args) {
    const s = String(a);
    // deno-lint-ignore no-control-regex -- the ASCII range is the test
    const size = /^[\x00-\x7f]*$/.test(s) ? s.length : encoder.encode(s).length;
    text += `$${size}\r\n${s}\r\n`;
  }
  return encoder.encode(text);
}

// Parses one reply at `at`; undefined when the buffer does not hold all of it yet.
function parse(
  buf: Uint8Array,
  at: number,
): { value: Reply | RespError; next: number } | undefined {
  const lineEnd = buf.indexOf(CR, at);
  if (lineEnd < 0 || lineEnd + 1 >= buf.length) return undefined;
  const type = buf[at];
  const line = decoder.decode(buf.subarray(at + 1, lineEnd));
  const after = lineEnd + 2;
  switch (type) {
    case 43: // +
      return { value: line, next: after };
    case 45: // -
      return { value: new RespError(line), next: after };
    case 58: // :
      return { value: Number(line), next: after };
    case 36: { // $
      const n = Number(line);
      if (n < 0) return { value: null, next: after };
      if (after + n + 2 > buf.length) return undefined;
      return { value: decoder.decode(buf.subarray(after, after + n)), next: after + n + 2 };
    }
    case 42: { // *
      const n = Number(line);
      if (n < 0) return { value: null, next: after };
      const items: Reply[] = [];
      let next = after;
      for (let i = 0; i < n; i++) {
        const item = parse(buf, next);
        if (!item) return undefined;
        // An error nested in an array (EXEC) is surfaced as its message.
        items.push(item.value instanceof RespError ? item.value.message : item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new RespError(`unexpected RESP type byte ${type}`);
  }
}

export class RespConnection {
  #conn: Deno.TcpConn;
  #pending: Pending[] = [];
  #buf = new Uint8Array(0);
  #reading = false;
  #closed = false;
  #queued: Uint8Array[] = [];
  #chunk = new Uint8Array(16 * 1024);
  #writing = false;

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  static async open(hostname: string, port: number): Promise<RespConnection> {
    const conn = await Deno.connect({ hostname, port });
    conn.setNoDelay(true);
    return new RespConnection(conn);
  }

  /** Sends one command; resolves with its reply, rejects with RespError for an error reply. */
  send(...args: (string | number | bigint)[]): Promise<Reply> {
    if (this.#closed) return Promise.reject(new RespError("connection closed"));
    const reply = new Promise<Reply>((resolve, reject) => this.#pending.push({ resolve, reject }));
    this.#queued.push(encode(args));
    if (!this.#writing) void this.#flush();
    if (!this.#reading) void this.#pump();
    return reply;
  }

  // Writes queued commands in order; commands queued meanwhile go out together (pipelined).
  async #flush(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queued.length > 0) {
        const parts = this.#queued.splice(0);
        let bytes = parts[0]!;
        if (parts.length > 1) {
          let size = 0;
          for (const p of parts) size += p.length;
          bytes = new Uint8Array(size);
          let at = 0;
          for (const p of parts) {
            bytes.set(p, at);
            at += p.length;
          }
        }
        let at = 0;
        while (at < bytes.length) at += await this.#conn.write(bytes.subarray(at));
      }
    } catch (error) {
      this.#queued.length = 0;
      this.#fail(error);
    } finally {
      this.#writing = false;
    }
  }

  async #pump(): Promise<void> {
    this.#reading = true;
    const chunk = this.#chunk;
    try {
      while (this.#pending.length > 0) {
        // Replies already buffered are handed out before reading more.
        let parsed = parse(this.#buf, 0);
        while (parsed && this.#pending.length > 0) {
          this.#buf = this.#buf.subarray(parsed.next);
          const p = this.#pending.shift()!;
          if (parsed.value instanceof RespError) p.reject(parsed.value);
          else p.resolve(parsed.value);
          parsed = this.#buf.length > 0 ? parse(this.#buf, 0) : undefined;
        }
        if (this.#pending.length === 0) break;
        const n = await this.#conn.read(chunk);
        if (n === null) throw new RespError("connection closed by the server");
        if (this.#buf.length === 0) {
          this.#buf = chunk.slice(0, n);
        } else {
          const merged = new Uint8Array(this.#buf.length + n);
          merged.set(this.#buf);
          merged.set(chunk.subarray(0, n), this.#buf.length);
          this.#buf = merged;
        }
      }
    } catch (error) {
      this.#fail(error);
    } finally {
      this.#reading = false;
    }
  }

  #fail(error: unknown): void {
    this.close();
    for (const p of this.#pending.splice(0)) p.reject(error);
  }

  /** Replies are awaited. */
  get busy(): boolean {
    return this.#pending.length > 0;
  }

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
    for (const p of this.#pending.splice(0)) p.reject(new RespError("connection closed"));
  }
}
