// A process taking lock(name, {coordinator}) on a real engine, for the SIGKILL test:
//   coordinated_holder.ts <url> <ttl> <name>
// prints "waiting", then "held <fencing token>" once it holds the lock, and holds it until killed.

import { connect } from "../../../coord/mod.ts";
import { lock } from "../../../lock/mod.ts";

const [url, ttl, name] = Deno.args as [string, string, string];
const say = (line: string): void => {
  Deno.stdout.writeSync(new TextEncoder().encode(line + "\n"));
};
const coordinator = await connect(url, { ttl: Number(ttl), memberId: `holder-${Deno.pid}` });
say("waiting");
const held = await lock(name, { coordinator });
say(`held ${held.fencingToken}`);
// Hold until killed; the coordinator's keepalive timer does not keep the process alive.
setInterval(() => {}, 60_000);
