// The command-line arguments Config.load() understands: --config-file and --config-dir, each as
// `--flag value` or `--flag=value`, repeatable. Everything else belongs to the application.

/** Files and directories named by `args`, in order. */
export interface ParsedArgs {
  files: string[];
  dirs: string[];
}

const FLAGS = { "--config-file": "files", "--config-dir": "dirs" } as const;

/** Extracts `--config-file` / `--config-dir` values from `args`. */
export function parseArgs(args: readonly string[]): ParsedArgs {
  const out: ParsedArgs = { files: [], dirs: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (typeof arg !== "string") {
      throw new TypeError(
        `Cannot load config as 'args[${i}]' must be a string: current value is ${String(arg)}`,
      );
    }
    const eq = arg.indexOf("=");
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    if (!Object.hasOwn(FLAGS, flag)) continue;
    const target = FLAGS[flag as keyof typeof FLAGS];
    let value: string | undefined;
    if (eq >= 0) {
      value = arg.slice(eq + 1);
    } else {
      value = args[i + 1];
      i++;
    }
    if (value === undefined || value === "" || (eq < 0 && value.startsWith("--"))) {
      throw new TypeError(
        `Cannot load config as '${flag}' needs a path: current value is ${
          JSON.stringify(value ?? null)
        }`,
      );
    }
    out[target].push(value);
  }
  return out;
}
