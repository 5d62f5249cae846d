// Captures fjord's log lines for one test: `using log = captureLog();` then read `log.lines`.

import { getLogger, type Logger, setLogger } from "../../../backends/logger.ts";

export interface CapturedLog extends Disposable {
  readonly lines: { level: keyof Logger; message: string; details: unknown[] }[];
  messages(level: keyof Logger): string[];
}

export function captureLog(): CapturedLog {
  const previous = getLogger();
  const lines: CapturedLog["lines"] = [];
  const record = (level: keyof Logger) => (message: string, ...details: unknown[]): void => {
    lines.push({ level, message, details });
  };
  setLogger({
    debug: record("debug"),
    info: record("info"),
    warning: record("warning"),
    error: record("error"),
  });
  return {
    lines,
    messages: (level) => lines.filter((l) => l.level === level).map((l) => l.message),
    [Symbol.dispose]: () => setLogger(previous),
  };
}

/** Polls `condition` every few ms until it holds, or throws after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
