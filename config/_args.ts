// The command-line arguments Config.load() understands: --config-file and --config-dir, each as
// `--flag value` or `--flag=value`, repeatable. Everything else belongs to the application.

import { describeValue } from "./_describe.ts";

/** One `--config-file` or `--config-dir`, in command-line order. */
export interface ConfigArg {
  kind: "file" | "dir";
  path: string;
}

const FLAGS = { "--config-file": "file", "--config-dir": "dir" } as const;

/** Extracts `--config-file` / `--config-dir` values from `args`, in command-line order. */
export function parseArgs(args: readonly string[]): ConfigArg[] {
  const out: ConfigArg[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (typeof arg !== "string") {
      throw new TypeError(
        `Cannot load config as 'args[${i}]' must be a string: current value is ${
          describeValue(arg)
        }`,
      );
    }
    // As with oslo.config's argparse, `--` ends the options: what follows is positional (say,
    // a command and its own arguments), even a `--config-file`.
    if (arg === "--") break;
    const eq = arg.indexOf("=");
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    if (!Object.hasOwn(FLAGS, flag)) continue;
    let value: string | undefined;
    if (eq >= 0) {
      value = arg.slice(eq + 1);
    } else {
      value = args[i + 1];
      i++;
    }
    if (value === undefined || value === "" || (eq < 0 && value.startsWith("--"))) {
      throw new TypeError(
        `Cannot load config as '${flag}' needs a path: current value is ${describeValue(value)}`,
      );
    }
    out.push({ kind: FLAGS[flag as keyof typeof FLAGS], path: expandHome(value) });
  }
  return out;
}

// oslo.config expands `~` (os.path.expanduser): a shell does not in `--config-file=~/x.conf`.
// Only with permission to read HOME: reading it otherwise would prompt, or fail the load.
function expandHome(path: string): string {
  if (path !== "~" && !path.startsWith("~/")) return path;
  const env = { name: "env", variable: "HOME" } as const;
  if (Deno.permissions.querySync(env).state !== "granted") return path;
  const home = Deno.env.get("HOME");
  return home ? home + path.slice(1) : path;
}
