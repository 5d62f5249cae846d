// An isolate program that leaves a grandchild holding its stdout (the frame pipe) open, reports
// the grandchild's pid, then exits: the host learns of the exit long before the pipe ends.

import { connectGuest } from "../../../runtime/_isolate_guest.ts";

const guest = await connectGuest<never, { pid: number }>();
const sleeper = new Deno.Command("sleep", { args: ["30"], stdout: "inherit", stdin: "null" })
  .spawn();
guest.send({ pid: sleeper.pid });
guest.exit(3);
