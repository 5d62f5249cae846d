import assert from "node:assert/strict";
import { type ProcessLauncher, resetBackend } from "@fjord/fjord";

/** Stops an in-process launcher, checks wait() resolved 0, removes `dir`, resets the backend. */
export async function stopLauncher(launcher: ProcessLauncher, dir?: string): Promise<void> {
  const waiting = launcher.wait();
  await launcher.stop();
  assert.equal(await waiting, 0);
  if (dir !== undefined) await Deno.remove(dir, { recursive: true });
  resetBackend();
}
