// Child process: waits for a line on stdin, then increments a 10-digit counter file `iters` times,
// each under lock(name, { external: true, lockPath }) with a read-yield-write race window.
import { lock } from "../../../lock/mod.ts";

const [lockPath, counterPath, itersArg] = Deno.args;
const iters = Number(itersArg);
const counter = await Deno.open(counterPath!, { read: true, write: true });
const buf = new Uint8Array(10);
const enc = new TextEncoder();
const dec = new TextDecoder();
// deno-lint-ignore no-console
console.log("ready");
await Deno.stdin.read(new Uint8Array(1));
for (let i = 0; i < iters; i++) {
  await using _held = await lock("counter", { external: true, lockPath: lockPath! });
  await counter.seek(0, Deno.SeekMode.Start);
  await counter.read(buf);
  const v = Number(dec.decode(buf)) + 1;
  await new Promise((r) => setTimeout(r, 0));
  await counter.seek(0, Deno.SeekMode.Start);
  await counter.write(enc.encode(String(v).padStart(10, "0")));
}
counter.close();
