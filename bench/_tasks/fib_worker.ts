// The W2 floor's Worker: a message { n, count } computes fib(n) `count` times with the same
// function the pools run and answers with the results.

import { fib } from "./tasks.ts";

self.onmessage = (e: MessageEvent<{ n: number; count: number }>) => {
  const out: number[] = [];
  for (let i = 0; i < e.data.count; i++) out.push(fib(e.data.n));
  self.postMessage(out);
};
