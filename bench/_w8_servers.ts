// The W8 benchmarks need etcd and redis on 127.0.0.1 (.ci/servers.sh ports). When nothing
// answers, start them with .ci/servers.sh for the run and stop them afterwards, so the peer kit
// (which starts its own servers on the same ports) can run next.

import { log } from "./_common.ts";

export const ETCD_URL = Deno.env.get("FJORD_ETCD_URL") ?? "etcd://127.0.0.1:23790";
export const REDIS_URL = Deno.env.get("FJORD_REDIS_URL") ?? "redis://127.0.0.1:63790";

async function answers(port: number): Promise<boolean> {
  try {
    const c = await Deno.connect({ hostname: "127.0.0.1", port });
    c.close();
    return true;
  } catch {
    return false;
  }
}

const script = new URL("../.ci/servers.sh", import.meta.url).pathname;

/** Ensures the servers run; returns a function that stops them if this call started them. */
export async function ensureServers(): Promise<() => Promise<void>> {
  if (await answers(23790) && await answers(63790)) return async () => {};
  log("# starting etcd + redis with .ci/servers.sh for W8");
  const out = await new Deno.Command("bash", { args: [script, "start"], stdout: "null" }).output();
  if (!out.success) throw new Error(".ci/servers.sh start failed");
  return async () => {
    await new Deno.Command("bash", { args: [script, "stop"], stdout: "null", stderr: "null" })
      .output();
  };
}
