// A member running an exclusive periodic task on a real engine, for the SIGKILL test:
//   exclusive_member.ts <url> <ttl> <task name> <spacing>
// prints "ready", then "tick <index> <token>" for every tick this member wins, until killed.

import { connect, type Coordinator, type ExclusiveTick } from "../../../coord/mod.ts";
import { PeriodicTasks } from "../../../service/mod.ts";

const [url, ttl, name, spacing] = Deno.args as [string, string, string, string];
const say = (line: string): void => {
  Deno.stdout.writeSync(new TextEncoder().encode(line + "\n"));
};

class Member extends PeriodicTasks {
  constructor(coordinator: Coordinator) {
    super(undefined, { coordinator });
    this.addPeriodicTask(function tick(_context: unknown, tick?: ExclusiveTick): void {
      say(`tick ${tick!.index} ${tick!.token}`);
    }, { spacing: Number(spacing), exclusive: { name } });
  }
}

const coordinator = await connect(url, { ttl: Number(ttl), memberId: `member-${Deno.pid}` });
const member = new Member(coordinator);
say("ready");
while (true) {
  const idle = await member.runPeriodicTasks();
  await new Promise((r) => setTimeout(r, Math.max(1, idle)));
}
