// The W2 floor's child process: a line "n count" on stdin computes fib(n) `count` times with the
// same function the pools run and answers with one line of the results. Reads into one reused
// buffer and writes synchronously, the cheapest pipe messaging Deno offers a child.

import { fib } from "./tasks.ts";

const buf = new Uint8Array(4096);
const enc = new TextEncoder();
const dec = new TextDecoder();
let pending = "";
for (let n = await Deno.stdin.read(buf); n !== null; n = await Deno.stdin.read(buf)) {
  pending += dec.decode(buf.subarray(0, n));
  for (let nl = pending.indexOf("\n"); nl >= 0; nl = pending.indexOf("\n")) {
    const [fn, count] = pending.slice(0, nl).split(" ").map(Number) as [number, number];
    pending = pending.slice(nl + 1);
    const out: number[] = [];
    for (let i = 0; i < count; i++) out.push(fib(fn));
    const line = enc.encode(out.join(" ") + "\n");
    for (let off = 0; off < line.byteLength;) off += Deno.stdout.writeSync(line.subarray(off));
  }
}
