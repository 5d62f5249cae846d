// The launchers' systemd watchdog: WATCHDOG=1 every WATCHDOG_USEC / 2 while the workers are
// healthy, so systemd restarts a service whose supervisor hangs or whose workers crash-loop.

import type { Clock } from "../runtime/clock.ts";
import { getLogger } from "../runtime/logger.ts";
import { optionalEnv } from "../runtime/_optional_env.ts";
import { notifyWatchdog } from "./systemd.ts";

/** The ping interval in ms when this process should ping systemd's watchdog, else undefined. */
export function watchdogInterval(): number | undefined {
  const usec = optionalEnv("WATCHDOG_USEC");
  if (usec === undefined) return undefined;
  const pid = optionalEnv("WATCHDOG_PID");
  if (pid !== undefined && Number(pid) !== Deno.pid) return undefined;
  // Digits only, as systemd's own parser takes it: Number() would read "1e3" (a 1 ms ping loop),
  // "0x10" or " 20".
  const n = /^[0-9]+$/.test(usec) ? Number(usec) : NaN;
  if (!Number.isFinite(n) || n <= 0) {
    getLogger().warning(`Ignoring WATCHDOG_USEC='${usec}': not a positive number of microseconds`);
    return undefined;
  }
  return Math.max(1, n / 1000 / 2);
}

/**
 * Pings at once when healthy, then every interval while `healthy()`. Returns the function that
 * stops the loop and resolves once it ended (no timer or op left behind).
 */
export function startWatchdog(healthy: () => boolean, clock: Clock): () => Promise<void> {
  const interval = watchdogInterval();
  if (interval === undefined) return () => Promise.resolve();
  const ac = new AbortController();
  const loop = (async () => {
    while (!ac.signal.aborted) {
      if (healthy()) await notifyWatchdog().catch(() => false);
      await clock.sleep(interval, { signal: ac.signal }).catch(() => {});
    }
  })();
  return () => {
    ac.abort();
    return loop;
  };
}
