// The etcd driver's HTTP/1.1 client against a scripted TCP server: keep-alive reuse, a pooled
// connection the server closed, chunked answers read line by line, aborts.

import assert from "node:assert/strict";
import { HttpClient } from "../../coord/_http.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

// Reads one request (headers and a Content-Length body) from `conn`; null at its end.
async function readRequest(conn: Deno.Conn): Promise<string | null> {
  let text = "";
  const buf = new Uint8Array(4096);
  while (true) {
    const head = text.indexOf("\r\n\r\n");
    if (head >= 0) {
      const length = Number(/content-length: (\d+)/i.exec(text.slice(0, head))?.[1] ?? "0");
      if (text.length >= head + 4 + length) return text.slice(head + 4, head + 4 + length);
    }
    const n = await conn.read(buf).catch(() => null);
    if (n === null) return null;
    text += dec.decode(buf.subarray(0, n));
  }
}

function serve(
  handle: (conn: Deno.Conn, n: number) => Promise<void>,
): { host: string; accepted: () => number; close: () => Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let accepted = 0;
  const handlers: Promise<void>[] = [];
  const loop = (async () => {
    for await (const conn of listener) {
      handlers.push(
        handle(conn, accepted++).catch(() => {}).finally(() => {
          try {
            conn.close();
          } catch {
            // closed by the handler
          }
        }),
      );
    }
  })();
  return {
    host: `127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    accepted: () => accepted,
    close: async () => {
      listener.close();
      await loop.catch(() => {});
      await Promise.all(handlers);
    },
  };
}

const never = new AbortController().signal;

Deno.test("http client: keeps a connection alive, and replaces one the server closed", async () => {
  // Connection 0 answers twice, then closes; every later one answers once, then closes.
  const server = serve(async (conn, n) => {
    for (let i = 0; i < (n === 0 ? 2 : 1); i++) {
      const body = await readRequest(conn);
      if (body === null) return;
      const answer = `{"echo":${body},"conn":${n}}`;
      await conn.write(enc.encode(
        `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${answer.length}\r\n\r\n${answer}`,
      ));
    }
  });
  const client = new HttpClient();
  try {
    const answers = [];
    for (let i = 0; i < 4; i++) {
      const r = await client.post(server.host, "/x", String(i), never);
      assert.equal(r.status, 200);
      answers.push(JSON.parse(r.text));
      // Let the server's close reach the pooled connection.
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(answers, [
      { echo: 0, conn: 0 },
      { echo: 1, conn: 0 },
      { echo: 2, conn: 1 },
      { echo: 3, conn: 2 },
    ]);
    assert.equal(server.accepted(), 3);
  } finally {
    client.close();
    await server.close();
  }
});

Deno.test("http client: a chunked answer comes line by line; abort closes it", async () => {
  let closedByClient: () => void = () => {};
  const closed = new Promise<void>((r) => closedByClient = r);
  const server = serve(async (conn) => {
    await readRequest(conn);
    await conn.write(enc.encode(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
        "3\r\na\nb\r\n" + "3\r\n\nc\n\r\n",
    ));
    // The client's close ends this read.
    await conn.read(new Uint8Array(16)).catch(() => null);
    closedByClient();
  });
  const client = new HttpClient();
  const controller = new AbortController();
  try {
    const lines: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const line of client.lines(server.host, "/w", "{}", controller.signal)) {
          lines.push(line);
          if (lines.length === 3) controller.abort(new Error("enough"));
        }
      })(),
      { message: "enough" },
    );
    assert.deepEqual(lines, ["a", "b", "c"]);
    await closed;
  } finally {
    client.close();
    await server.close();
  }
});

Deno.test("http client: a character split across two chunks is decoded whole", async () => {
  // "é" is two bytes, C3 A9: each chunk of both answers ends inside it.
  const split = (first: string, second: string): Uint8Array[] => {
    const a = new Uint8Array([...enc.encode(first), 0xc3]);
    const b = new Uint8Array([0xa9, ...enc.encode(second)]);
    return [
      enc.encode(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n`),
      enc.encode(`${a.length.toString(16)}\r\n`),
      a,
      enc.encode(`\r\n${b.length.toString(16)}\r\n`),
      b,
      enc.encode("\r\n0\r\n\r\n"),
    ];
  };
  const server = serve(async (conn) => {
    while (await readRequest(conn) !== null) {
      for (const part of split("caf", "\nnaïve\n")) await conn.write(part);
    }
  });
  const client = new HttpClient();
  try {
    const answer = await client.post(server.host, "/p", "{}", never);
    assert.equal(answer.text, "café\nnaïve\n");
    const lines: string[] = [];
    for await (const line of client.lines(server.host, "/w", "{}", never)) lines.push(line);
    assert.deepEqual(lines, ["café", "naïve"]);
  } finally {
    client.close();
    await server.close();
  }
});

Deno.test("http client: an aborted request rejects with the reason at once", async () => {
  const server = serve(async (conn) => {
    await readRequest(conn);
    await conn.read(new Uint8Array(16)).catch(() => null);
  });
  const client = new HttpClient();
  try {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("too slow")), 50);
    await assert.rejects(client.post(server.host, "/x", "{}", controller.signal), {
      message: "too slow",
    });
  } finally {
    client.close();
    await server.close();
  }
});
