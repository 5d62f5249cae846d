// Shared helpers for the process tests (not collected: no _test suffix).
import { consoleLogger, setLogger } from "../../runtime/logger.ts";
import { waitFor } from "../_util.ts";

export { waitFor };

/** Runs `fn` with fjord's logger capturing every line as "level: message"; restores it after. */
export async function withLogLines<T>(fn: (lines: string[]) => Promise<T>): Promise<T> {
  const lines: string[] = [];
  setLogger({
    debug: (m) => lines.push(`debug: ${m}`),
    info: (m) => lines.push(`info: ${m}`),
    warning: (m) => lines.push(`warning: ${m}`),
    error: (m) => lines.push(`error: ${m}`),
  });
  try {
    return await fn(lines);
  } finally {
    setLogger(consoleLogger);
  }
}

/**
 * Whether a process is still running (a zombie counts as gone: it runs nothing). Reads /proc
 * through `cat`, since Deno asks for --allow-all to read /proc/<pid> itself.
 */
export async function isRunning(pid: number): Promise<boolean> {
  const { code, stdout } = await new Deno.Command("cat", {
    args: [`/proc/${pid}/stat`],
    stdin: "null",
    stderr: "null",
  }).output();
  if (code !== 0) return false;
  const stat = new TextDecoder().decode(stdout);
  // "pid (comm) S ...": the state follows the last ')'.
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return state !== "Z" && state !== "X";
}

/** Reads a pid a test child wrote to `path`, once it is there. */
export async function readPid(path: string): Promise<number> {
  let text = "";
  await waitFor(() => {
    try {
      text = Deno.readTextFileSync(path).trim();
    } catch {
      return false;
    }
    return /^\d+$/.test(text);
  }, `a pid in ${path}`);
  return Number(text);
}
