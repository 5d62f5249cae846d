// deno-lint-ignore-file no-console -- a test fixture reporting on stderr
// A coordinator in its own process, for the fault tests (SIGKILL, SIGSTOP) and the chaos scenario.
//
//   member.ts hold <url> <ttl> <lock> <resource>
//     takes the lock, prints "held <token>", then every 50 ms reads its signal and attempts a
//     fenced write, printing "<live|aborted> <accepted|refused>"; exits after the first aborted one.
//   member.ts campaign <url> <ttl> <group>
//     campaigns, prints "leader <token> <epoch ms>", then "lost" when its signal aborts.
//   member.ts count <url> <ttl> <lock> <resource> <n>
//     n x (lock -> "holding <token>" -> fenced read -> yield -> fenced write of counter + 1),
//     printing "commit <token>" / "refused <token>" per attempt; "done" at the end.
// SIGTERM exits 0 (the lease is left to expire).

import { connect } from "../../../coord/mod.ts";
import { fencedRead, fencedWrite } from "./fenced_resource.ts";

const [mode, url, ttlText, name, resource, nText] = Deno.args as [
  string,
  string,
  string,
  string,
  string?,
  string?,
];
const coord = await connect(url, { ttl: Number(ttlText), memberId: `member-${Deno.pid}` });
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
const say = (line: string): void => {
  Deno.stdout.writeSync(new TextEncoder().encode(line + "\n"));
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

if (mode === "hold") {
  const held = await coord.lock(name);
  say(`held ${held.token}`);
  let counter = 0;
  while (true) {
    await sleep(50);
    const aborted = held.signal.aborted;
    const ok = await fencedWrite(resource!, held.token, ++counter);
    say(`${aborted ? "aborted" : "live"} ${ok ? "accepted" : "refused"}`);
    if (aborted) break;
  }
  await coord.close();
} else if (mode === "campaign") {
  say("campaigning");
  const leading = await coord.campaign(name);
  say(`leader ${leading.token} ${performance.timeOrigin + performance.now()}`);
  await new Promise((r) => leading.signal.addEventListener("abort", r, { once: true }));
  say("lost");
  await new Promise(() => {});
} else if (mode === "count") {
  // A member whose session was lost (frozen past its TTL) reconnects, as a service would.
  let current = coord;
  for (let i = 0; i < Number(nText); i++) {
    if (current.lost.aborted) {
      await current.close();
      current = await connect(url, { ttl: Number(ttlText), memberId: `member-${Deno.pid}` });
      say("reconnected");
    }
    let held;
    try {
      held = await current.lock(name);
    } catch (error) {
      // Lost session or an engine in failover: try again, as a service would.
      console.error(`member ${Deno.pid}: lock failed, retrying: ${String(error)}`);
      await sleep(100);
      i--;
      continue;
    }
    say(`holding ${held.token}`);
    const read = await fencedRead(resource!, held.token);
    await sleep(1);
    const ok = read.ok && await fencedWrite(resource!, held.token, read.counter + 1);
    say(`${ok ? "commit" : "refused"} ${held.token}`);
    await held.release().catch(() => {});
  }
  say("done");
  await current.close();
}
