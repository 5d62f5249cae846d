// Worker: on a {dir} message, tries the fcntl-mode FileLock "w" once without blocking, then
// waits for it (polling, as Workers do) and reports both outcomes.
import { externalLock } from "../../../lock/mod.ts";

self.onmessage = async (e: MessageEvent<{ dir: string }>) => {
  const file = externalLock("w", { lockPath: e.data.dir, fileLockMode: "fcntl" });
  const first = await file.acquire({ blocking: false });
  self.postMessage({ first });
  const later = await file.acquire({ timeout: 20_000 });
  await file.release();
  self.postMessage({ later });
};
