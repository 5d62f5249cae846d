// Polls one pending future 200 000 times with result({ timeout: 0 }) while it has a done
// callback (two callbacks: the list path), and prints the heap growth in bytes after a full GC.
// `deno run --v8-flags=--expose-gc polled_future.ts`.

import { Future } from "../../../futures/mod.ts";
import { futureInternals } from "../../../futures/_future_control.ts";

const gc = (globalThis as unknown as { gc(): void }).gc;
const future = new Future<number>();
let called = 0;
future.addDoneCallback(() => called++);
gc();
const before = Deno.memoryUsage().heapUsed;
for (let i = 0; i < 200_000; i++) await future.result({ timeout: 0 }).catch(() => {});
gc();
const growth = Deno.memoryUsage().heapUsed - before;
futureInternals.setResult(future, 1);
// deno-lint-ignore no-console -- the test reads this line
console.log(JSON.stringify({ growth, called }));
