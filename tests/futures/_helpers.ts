// Test helpers for tests/futures (not collected: no _test suffix).

import { consoleLogger, setLogger } from "../../backends/mod.ts";

/** Captures log lines by level until disposed (then restores the console logger). */
export function captureLog(): {
  warnings: string[];
  errors: string[];
  [Symbol.dispose](): void;
} {
  const warnings: string[] = [];
  const errors: string[] = [];
  setLogger({
    debug: (): void => {},
    info: (): void => {},
    warning: (m: string): void => {
      warnings.push(m);
    },
    error: (m: string): void => {
      errors.push(m);
    },
  });
  return { warnings, errors, [Symbol.dispose]: (): void => setLogger(consoleLogger) };
}
