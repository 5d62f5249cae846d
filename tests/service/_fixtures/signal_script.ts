// A script for SignalHandler subprocess tests. Modes:
//   idle     register a handler and finish: the process must exit by itself (code 0)
//   dispose  register, dispose, then SIGUSR1 itself: must die of the signal (listener released)
//   clear    register two, clear(), then SIGUSR1 itself: must die of the signal
import { SignalHandler } from "../../../service/signal_handler.ts";

const say = (text: string): void => {
  Deno.stdout.writeSync(new TextEncoder().encode(`${text}\n`));
};
const mode = Deno.args[0];
const handler = new SignalHandler();
if (mode === "idle") {
  handler.add("SIGUSR1", () => {});
  handler.add("SIGTERM", () => {});
  say("registered");
} else {
  const sub = handler.add("SIGUSR1", () => say("handled"));
  if (mode === "dispose") {
    sub[Symbol.dispose]();
  } else {
    handler.add("SIGUSR1", () => say("handled"));
    handler.clear();
  }
  Deno.kill(Deno.pid, "SIGUSR1");
  await new Promise((r) => setTimeout(r, 2000));
  say("survived");
}
