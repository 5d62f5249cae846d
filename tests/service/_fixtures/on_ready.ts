// deno-lint-ignore-file no-console -- the tests read what this program prints.
// Waits with onReady() and prints JSON lines: {"listening":true} as soon as onReady() returned
// its promise (the socket is bound by then), then {"result":n} or {"error":name,"message":m}.
// It never calls Deno.exit: it ends by itself only when onReady() left no timer or op behind.
//
// Arguments: <address> <timeout ms | "none"> [abort after ms]

import { onReady, type OnReadyOptions } from "@fjord/fjord";

const [address, timeoutArg, abortArg] = Deno.args;
const options: OnReadyOptions = {};
if (timeoutArg !== undefined && timeoutArg !== "none") options.timeout = Number(timeoutArg);
if (abortArg !== undefined) {
  const controller = new AbortController();
  options.signal = controller.signal;
  setTimeout(() => controller.abort(), Number(abortArg));
}
try {
  const ready = onReady(address!, options);
  console.log(JSON.stringify({ listening: true }));
  console.log(JSON.stringify({ result: await ready }));
} catch (err) {
  const e = err as Error;
  console.log(JSON.stringify({ error: e.name, message: e.message }));
}
