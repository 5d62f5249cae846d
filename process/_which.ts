// Where a wrapped program is found. Deno looks a bare program name up in `env.PATH` when `env`
// has one, else in fjord's own PATH. A wrapper (setsid, prlimit, the ulimit shell) execs the
// program with execvp() and the child's environment instead, so with an `env` that has no PATH
// it would search only the libc default (/bin:/usr/bin): resolve the name the way Deno would.

import { optionalEnv } from "../runtime/_optional_env.ts";
import { permitted } from "../runtime/_permitted.ts";

export function resolveForWrapper(
  program: string,
  env: Record<string, string> | undefined,
): string {
  if (program.includes("/") || env === undefined || Object.hasOwn(env, "PATH")) return program;
  // Without --allow-env the lookup is left to the wrapper.
  const path = optionalEnv("PATH");
  for (const dir of path?.split(":") ?? []) {
    if (dir === "") continue;
    const candidate = `${dir}/${program}`;
    // Not looked at without read permission for it (Deno would prompt at a terminal).
    if (!permitted({ name: "read", path: candidate })) continue;
    try {
      const info = Deno.statSync(candidate);
      if (info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) return candidate;
    } catch {
      // Missing: try the next directory.
    }
  }
  return program;
}
