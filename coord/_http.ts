// A small HTTP/1.1 client for etcd's JSON gateway over Deno.connect: POSTs on keep-alive
// connections (one request at a time on each, idle ones pooled per host), and POSTs whose chunked
// answer is a stream of lines (watches) on a connection of their own. Here fetch costs ~120 us
// more CPU and ~150 us more latency per request, and ~100 us more CPU per watch message, which
// a lock hand-off pays several times. As in _resp.ts, an idle connection holds no pending read,
// so it never keeps the process alive.

import { openUnlessAborted } from "./_abort.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const CR = 13;
const LF = 10;
const READ_SIZE = 16 * 1024;
const MAX_IDLE = 8;

/** The connection ended or broke before a whole answer came. */
export class HttpConnectionError extends Error {
  constructor(detail: string, readonly beforeAnswer: boolean) {
    super(detail);
    this.name = "HttpConnectionError";
  }
}

/** An answer: its status and body text. */
export interface HttpAnswer {
  status: number;
  text: string;
}

interface Head {
  status: number;
  length: number | undefined;
  chunked: boolean;
  keepAlive: boolean;
}

// One TCP connection and the bytes read from it but not consumed yet.
class Conn {
  #buf = new Uint8Array(READ_SIZE);
  #start = 0;
  #end = 0;
  #answered = false;

  constructor(readonly tcp: Deno.TcpConn, readonly host: string) {}

  /** Connects; `signal` cancels the connect (see openUnlessAborted). */
  static async open(host: string, signal: AbortSignal): Promise<Conn> {
    const at = host.lastIndexOf(":");
    const hostname = host.slice(0, at).replace(/^\[|\]$/g, "");
    const tcp = await Deno.connect({ hostname, port: Number(host.slice(at + 1)), signal });
    tcp.setNoDelay(true);
    return new Conn(tcp, host);
  }

  close(): void {
    try {
      this.tcp.close();
    } catch {
      // already closed
    }
  }

  async send(path: string, body: string): Promise<void> {
    const bytes = encoder.encode(body);
    const head = encoder.encode(
      `POST ${path} HTTP/1.1\r\nHost: ${this.host}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${bytes.length}\r\n\r\n`,
    );
    const out = new Uint8Array(head.length + bytes.length);
    out.set(head);
    out.set(bytes, head.length);
    this.#answered = false;
    for (let at = 0; at < out.length;) at += await this.tcp.write(out.subarray(at));
  }

  // Reads more bytes into the buffer; false at the end of the stream.
  async #fill(): Promise<boolean> {
    if (this.#start === this.#end) this.#start = this.#end = 0;
    if (this.#end === this.#buf.length) {
      const live = this.#end - this.#start;
      if (live * 2 > this.#buf.length) {
        const next = new Uint8Array(this.#buf.length * 2);
        next.set(this.#buf.subarray(this.#start, this.#end));
        this.#buf = next;
      } else {
        this.#buf.copyWithin(0, this.#start, this.#end);
      }
      this.#start = 0;
      this.#end = live;
    }
    const n = await this.tcp.read(this.#buf.subarray(this.#end));
    if (n === null) return false;
    this.#end += n;
    this.#answered = true;
    return true;
  }

  async #need(what: string): Promise<void> {
    if (!(await this.#fill())) {
      throw new HttpConnectionError(`connection closed before ${what}`, !this.#answered);
    }
  }

  // The index of the next CRLF in the buffer, or -1.
  #crlf(): number {
    for (let i = this.#start; i + 1 < this.#end; i++) {
      if (this.#buf[i] === CR && this.#buf[i + 1] === LF) return i;
    }
    return -1;
  }

  async #line(what: string): Promise<string> {
    while (true) {
      const at = this.#crlf();
      if (at >= 0) {
        const line = decoder.decode(this.#buf.subarray(this.#start, at));
        this.#start = at + 2;
        return line;
      }
      await this.#need(what);
    }
  }

  async #bytes(n: number, what: string): Promise<Uint8Array> {
    while (this.#end - this.#start < n) await this.#need(what);
    const out = this.#buf.subarray(this.#start, this.#start + n);
    this.#start += n;
    return out;
  }

  async head(): Promise<Head> {
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(await this.#line("the status line"));
    if (!status) throw new HttpConnectionError("not an HTTP answer", false);
    let length: number | undefined;
    let chunked = false;
    let keepAlive = true;
    while (true) {
      const line = await this.#line("the headers");
      if (line === "") break;
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim().toLowerCase();
      if (name === "content-length") length = Number(value);
      else if (name === "transfer-encoding") chunked = value.includes("chunked");
      else if (name === "connection") keepAlive = !value.includes("close");
    }
    return { status: Number(status[1]), length, chunked, keepAlive };
  }

  // The next chunk of a chunked body as text, through `text`: one streaming decoder per body,
  // since a chunk may end inside a character. Undefined after the last chunk.
  async chunk(text: TextDecoder): Promise<string | undefined> {
    const size = parseInt(await this.#line("a chunk"), 16);
    if (Number.isNaN(size)) throw new HttpConnectionError("bad chunk size", false);
    if (size === 0) {
      while ((await this.#line("the trailer")) !== "");
      return undefined;
    }
    const decoded = text.decode(await this.#bytes(size, "a chunk"), { stream: true });
    await this.#bytes(2, "a chunk");
    return decoded;
  }

  async body(h: Head): Promise<string> {
    if (h.length !== undefined) return decoder.decode(await this.#bytes(h.length, "the body"));
    if (h.chunked) {
      const chunks = new TextDecoder();
      let text = "";
      for (let c = await this.chunk(chunks); c !== undefined; c = await this.chunk(chunks)) {
        text += c;
      }
      return text + chunks.decode();
    }
    h.keepAlive = false;
    while (await this.#fill());
    const text = decoder.decode(this.#buf.subarray(this.#start, this.#end));
    this.#start = this.#end;
    return text;
  }
}

function open(host: string, signal: AbortSignal): Promise<Conn> {
  return openUnlessAborted((s) => Conn.open(host, s), signal);
}

// Closes the connection when `signal` aborts, so a pending read or write rejects.
function closeOnAbort(conn: Conn, signal: AbortSignal): () => void {
  const onAbort = (): void => conn.close();
  signal.addEventListener("abort", onAbort, { once: true });
  return () => signal.removeEventListener("abort", onAbort);
}

export class HttpClient {
  readonly #idle = new Map<string, Conn[]>();
  #closed = false;

  /**
   * POSTs `body` to `http://host/path`; rejects with `signal.reason` once it aborts. A pooled
   * connection the server closed while it was idle fails before any answer: the request is then
   * sent once more on a new connection (it cannot have been read).
   */
  async post(host: string, path: string, body: string, signal: AbortSignal): Promise<HttpAnswer> {
    while (true) {
      signal.throwIfAborted();
      const pooled = this.#idle.get(host)?.pop();
      const conn = pooled ?? await open(host, signal);
      const detach = closeOnAbort(conn, signal);
      try {
        await conn.send(path, body);
        const h = await conn.head();
        const text = await conn.body(h);
        detach();
        if (h.keepAlive && !this.#closed && !signal.aborted) this.#park(conn);
        else conn.close();
        return { status: h.status, text };
      } catch (error) {
        detach();
        conn.close();
        if (signal.aborted) throw signal.reason;
        if (pooled && error instanceof HttpConnectionError && error.beforeAnswer) continue;
        if (pooled && error instanceof Deno.errors.BrokenPipe) continue;
        if (pooled && error instanceof Deno.errors.ConnectionReset) continue;
        throw error;
      }
    }
  }

  #park(conn: Conn): void {
    let idle = this.#idle.get(conn.host);
    if (!idle) this.#idle.set(conn.host, idle = []);
    if (idle.length < MAX_IDLE) idle.push(conn);
    else conn.close();
  }

  /**
   * POSTs `body` on a connection of its own and yields its answer's lines as they come (a chunked
   * stream, as etcd's watch). Ends when the server ends the answer; the connection is closed however
   * the consumer leaves, and when `signal` aborts (then it rejects with `signal.reason`).
   */
  async *lines(
    host: string,
    path: string,
    body: string,
    signal: AbortSignal,
  ): AsyncGenerator<string> {
    const conn = await open(host, signal);
    const detach = closeOnAbort(conn, signal);
    try {
      await conn.send(path, body);
      const h = await conn.head();
      if (h.status !== 200 || !h.chunked) {
        throw new HttpConnectionError(`answered ${h.status}: ${await conn.body(h)}`, false);
      }
      const chunks = new TextDecoder();
      let buffered = "";
      for (let c = await conn.chunk(chunks); c !== undefined; c = await conn.chunk(chunks)) {
        buffered += c;
        let nl: number;
        while ((nl = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          yield line;
        }
      }
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw error;
    } finally {
      detach();
      conn.close();
    }
  }

  close(): void {
    this.#closed = true;
    for (const idle of this.#idle.values()) for (const c of idle) c.close();
    this.#idle.clear();
  }
}
