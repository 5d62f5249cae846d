// Asking whether the program holds a permission, before an optional step that needs it.

/**
 * Whether the program holds `permission` now. Never asks: where a step is optional (an
 * environment variable, a look for a helper binary, a kernel setting), calling the API without
 * its permission shows Deno's interactive prompt when run at a terminal, which stops the program
 * until someone answers (and elsewhere throws `NotCapable`).
 */
export function permitted(permission: Deno.PermissionDescriptor): boolean {
  try {
    return Deno.permissions.querySync(permission).state === "granted";
  } catch {
    // No permissions API here.
    return false;
  }
}

const PERMISSIONS = ["read", "write", "net", "env", "run", "ffi", "sys", "import"] as const;

/**
 * `--allow-<name>` for every permission this process holds in full: the flags a child `deno run`
 * (a pool child, a launcher's worker process) inherits when not given its own.
 */
export function inheritedPermissionFlags(): string[] {
  return PERMISSIONS.filter((name) => permitted({ name } as Deno.PermissionDescriptor))
    .map((name) => `--allow-${name}`);
}
