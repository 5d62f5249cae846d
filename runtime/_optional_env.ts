// Reading an optional environment variable (FJORD_LOG_LEVEL, FJORD_BACKEND, NOTIFY_SOCKET, ...).

/**
 * The value of `name` when this program may read it, else `undefined` (the variable counts as
 * unset). Never asks: without `--allow-env` for it, `Deno.env.get()` shows an interactive
 * permission prompt when run at a terminal (so a program's first `lock()` stopped to ask for
 * `FJORD_LOG_LEVEL`), and elsewhere throws a `NotCapable` error whose stack costs ~1 ms.
 */
export function optionalEnv(name: string): string | undefined {
  try {
    if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") {
      return undefined;
    }
    return Deno.env.get(name);
  } catch {
    // No permissions API here: the variable counts as unset.
    return undefined;
  }
}
