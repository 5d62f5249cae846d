// How a timed or abortable child gets its own process group. `Deno.Command`'s `detached: true`
// calls setsid() in a pre-exec hook, which makes Rust spawn with fork() instead of posix_spawn();
// measured here that costs ~5 ms per spawn (it grows with the parent's memory). util-linux
// `setsid PROG` does the same for ~1 ms, so it is preferred when installed; `detached` remains
// the fallback.
import { maskPassword } from "./mask_password.ts";

let setsidInstalled: boolean | undefined;

/** Whether util-linux setsid is known to be installed (`undefined`: not tried yet). */
export function setsidAvailable(): boolean | undefined {
  return setsidInstalled;
}

/** Records what spawning `setsid` showed; tests force the `detached` fallback with `false`. */
export function setSetsidAvailable(value: boolean | undefined): void {
  setsidInstalled = value;
}

const decoder = new TextDecoder();

/**
 * When the setsid wrapper could not exec the program (util-linux exits 127 for ENOENT, 126
 * otherwise, after printing `setsid: failed to execute PROG: REASON`), the OS error it reports;
 * else undefined.
 */
export function setsidExecError(code: number, stderr: Uint8Array): Error | undefined {
  if (code !== 127 && code !== 126) return undefined;
  const text = decoder.decode(stderr).trim();
  if (!text.startsWith("setsid: ") || text.includes("\n")) return undefined;
  // It names the program, which may hold a secret (a command line given as one program name).
  const reason = maskPassword(text.slice("setsid: ".length));
  return code === 127 ? new Deno.errors.NotFound(reason) : new Deno.errors.PermissionDenied(reason);
}
