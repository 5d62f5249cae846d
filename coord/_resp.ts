// A small RESP2 client over Deno.connect: pipelined commands answered in order. The socket is
// read only while replies are awaited, so an idle connection holds no pending op and never keeps
// the process alive. With a timeout, a reply not come within it fails the connection (the replies
// after it could no longer be matched to their commands): a frozen or black-holed server must not
// hang its callers forever.

/** An error reply from the server. */
export class RespError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RespError";
  }
}

/**
 * The connection ended under a command (the server closed it, or reset it): unlike an error reply
 * or a reply timeout, the command may never have reached the server.
 */
export class RespConnectionLost extends RespError {
  constructor(message: string) {
    super(message);
    this.name = "RespConnectionLost";
  }
}

/** Whether `error` says the connection ended under a command (see RespConnectionLost). */
export function isConnectionLost(error: unknown): boolean {
  return error instanceof RespConnectionLost || error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.BrokenPipe || error instanceof Deno.errors.ConnectionAborted;
}

/** A decoded reply: simple/bulk strings as strings, integers as numbers, nil as null. */
export type Reply = string | number | null | Reply[];

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const CR = 13;
const LF = 10;

interface Pending {
  resolve: (r: Reply) => void;
  reject: (e: unknown) => void;
  /** performance.now() when sent (0 without a timeout). */
  at: number;
}

// Arguments are nearly always short ASCII: their bytes are written straight into one buffer
// (no TextEncoder call, no intermediate string) in one pass that also notes any other
// character, which sends the command down the encoder path instead.
function encode(args: readonly (string | number | bigint)[]): Uint8Array {
  const strs: string[] = [];
  let size = 1 + digits(args.length) + 2;
  for (const a of args) {
    const s = typeof a === "string" ? a : String(a);
    strs.push(s);
    size += 1 + digits(s.length) + 2 + s.length + 2;
  }
  const out = new Uint8Array(size);
  let at = header(out, 0, 42, args.length);
  let high = 0;
  for (const s of strs) {
    at = header(out, at, 36, s.length);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      high |= c;
      out[at++] = c;
    }
    out[at++] = CR;
    out[at++] = LF;
  }
  return high > 0x7f ? encodeText(args) : out;
}

function digits(n: number): number {
  return n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : String(n).length;
}

// Writes `<type><n>\r\n` at `at`; returns the index after it.
function header(out: Uint8Array, at: number, type: number, n: number): number {
  out[at++] = type;
  const text = n < 10 ? undefined : String(n);
  if (text === undefined) out[at++] = 48 + n;
  else for (let i = 0; i < text.length; i++) out[at++] = text.charCodeAt(i);
  out[at++] = CR;
  out[at++] = LF;
  return at;
}

function encodeText(args: readonly (string | number | bigint)[]): Uint8Array {
  let text = `*${args.length}\r\n`;
  for (const a of args) {
    const s = String(a);
    text += `$${encoder.encode(s).length}\r\n${s}\r\n`;
  }
  return encoder.encode(text);
}

// The decimal integer in buf[from, to) (RESP lengths and integers are ASCII digits).
function int(buf: Uint8Array, from: number, to: number): number {
  let i = from;
  const negative = buf[i] === 45;
  if (negative) i++;
  let n = 0;
  for (; i < to; i++) n = n * 10 + (buf[i]! - 48);
  return negative ? -n : n;
}

// Short ASCII strings (keys, revisions, ids) are built without a TextDecoder call.
function text(buf: Uint8Array, from: number, to: number): string {
  if (to - from > 64) return decoder.decode(buf.subarray(from, to));
  for (let i = from; i < to; i++) {
    if (buf[i]! > 0x7f) return decoder.decode(buf.subarray(from, to));
  }
  return String.fromCharCode.apply(null, buf.subarray(from, to) as unknown as number[]);
}

// Parses one reply at `at`; undefined when the buffer does not hold all of it yet.
function parse(
  buf: Uint8Array,
  at: number,
): { value: Reply | RespError; next: number } | undefined {
  const lineEnd = buf.indexOf(CR, at);
  if (lineEnd < 0 || lineEnd + 1 >= buf.length) return undefined;
  const type = buf[at];
  const after = lineEnd + 2;
  switch (type) {
    case 43: // +
      return { value: text(buf, at + 1, lineEnd), next: after };
    case 45: // -
      return { value: new RespError(decoder.decode(buf.subarray(at + 1, lineEnd))), next: after };
    case 58: // :
      return { value: int(buf, at + 1, lineEnd), next: after };
    case 36: { // $
      const n = int(buf, at + 1, lineEnd);
      if (n < 0) return { value: null, next: after };
      if (after + n + 2 > buf.length) return undefined;
      return { value: text(buf, after, after + n), next: after + n + 2 };
    }
    case 42: { // *
      const n = int(buf, at + 1, lineEnd);
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
  readonly #timeout: number;
  // One unref'd timer for the oldest pending reply, armed at most once per timeout (not per
  // command): when it fires early for a newer command, it is armed again for the rest.
  #timer: ReturnType<typeof setTimeout> | undefined;

  private constructor(conn: Deno.TcpConn, timeout: number) {
    this.#conn = conn;
    this.#timeout = timeout;
  }

  /**
   * Connects. `timeout` (ms, 0 = none): how long a reply may take before the connection fails
   * with a RespError (the connect itself is bounded by it too). `signal` ends the connect with
   * its reason. Either cancels the connect itself: left to the kernel, a connect to a frozen or
   * black-holed server retries its SYN for minutes, and its pending op keeps the process alive.
   */
  static async open(
    hostname: string,
    port: number,
    timeout = 0,
    signal?: AbortSignal,
  ): Promise<RespConnection> {
    signal?.throwIfAborted();
    const stop = new AbortController();
    const onAbort = (): void => stop.abort(signal!.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const timer = timeout <= 0 ? undefined : setTimeout(
      () => stop.abort(new RespError(`no connection within ${timeout} ms`)),
      timeout,
    );
    let conn: Deno.TcpConn;
    try {
      conn = await Deno.connect({ hostname, port, signal: stop.signal });
    } catch (error) {
      throw stop.signal.aborted ? stop.signal.reason : error;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
    conn.setNoDelay(true);
    return new RespConnection(conn, timeout);
  }

  /** Sends one command; resolves with its reply, rejects with RespError for an error reply. */
  send(...args: (string | number | bigint)[]): Promise<Reply> {
    if (this.#closed) return Promise.reject(new RespError("connection closed"));
    const at = this.#timeout > 0 ? performance.now() : 0;
    const reply = new Promise<Reply>((resolve, reject) =>
      this.#pending.push({ resolve, reject, at })
    );
    if (this.#timeout > 0 && this.#timer === undefined) this.#arm(this.#timeout);
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
        if (n === null) throw new RespConnectionLost("connection closed by the server");
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

  #arm(ms: number): void {
    const timer = setTimeout(() => {
      this.#timer = undefined;
      const oldest = this.#pending[0];
      if (!oldest || this.#closed) return;
      const left = oldest.at + this.#timeout - performance.now();
      if (left > 0) return this.#arm(left);
      this.#fail(new RespError(`no reply within ${this.#timeout} ms`));
    }, Math.max(1, ms));
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  #fail(error: unknown): void {
    // Taken before close(), which would reject them with a plain "connection closed".
    const pending = this.#pending.splice(0);
    this.close();
    for (const p of pending) p.reject(error);
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
    clearTimeout(this.#timer);
    this.#timer = undefined;
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
    for (const p of this.#pending.splice(0)) p.reject(new RespError("connection closed"));
  }
}
