// Captures fjord's log lines for one test: `using log = captureLog();` then read `log.lines`.

import { getLogger, type Logger, setLogger } from "../../../runtime/logger.ts";
import { waitFor } from "../../_util.ts";

export { waitFor };

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
