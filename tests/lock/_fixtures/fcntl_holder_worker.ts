/// <reference lib="deno.worker" />
// Worker fjord starts: on {dir, op: "hold"} takes the fcntl-mode external lock "w" and replies
// "held"; on {dir, op: "wait"} replies "waiting" and waits for it (polling, as Workers do).
import { receiveFjordInit } from "../../../runtime/_fjord_worker.ts";
import { lock } from "../../../lock/mod.ts";

await receiveFjordInit();
self.onmessage = async (e: MessageEvent<{ dir: string; op: "hold" | "wait" }>) => {
  const options = { external: true, lockPath: e.data.dir, fileLockMode: "fcntl" } as const;
  if (e.data.op === "hold") {
    await lock("w", options);
    self.postMessage("held");
  } else {
    self.postMessage("waiting");
    await lock("w", { ...options, timeout: 60_000 });
  }
};
self.postMessage("ready");
