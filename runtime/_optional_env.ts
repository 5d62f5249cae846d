// Reading an optional environment variable (FJORD_LOG_LEVEL, FJORD_BACKEND, NOTIFY_SOCKET, ...).

import { permitted } from "./_permitted.ts";

// Names the program was found allowed to read. Read again at every call (a lock's directory
// may come from FJORD_LOCK_PATH, which the program may change), so the query, which costs ~1.3 µs
// against ~0.25 µs for the read, is made once per name. A permission revoked later
// (Deno.permissions.revokeSync) is not seen.
const granted = new Set<string>();

/**
 * The value of `name` when this program may read it and it is not empty, else `undefined` (the
 * variable counts as unset). Never asks: without `--allow-env` for it, `Deno.env.get()` shows an
 * interactive permission prompt when run at a terminal (so a program's first `lock()` stopped to
 * ask for `FJORD_LOG_LEVEL`), and elsewhere throws a `NotCapable` error whose stack costs ~1 ms.
 */
export function optionalEnv(name: string): string | undefined {
  if (!granted.has(name)) {
    if (!permitted({ name: "env", variable: name })) return undefined;
    granted.add(name);
  }
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    // The permission was revoked since: the variable counts as unset.
    granted.delete(name);
    return undefined;
  }
}
