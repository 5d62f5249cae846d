// Helpers shared by every test folder.

import { getLogger, setLogger } from "../runtime/logger.ts";

/** Polls `cond` every 10 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await cond())) {
    if (performance.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Captures every fjord log line (any level, message only) until disposed. */
export function captureLog(): { lines: string[] } & Disposable {
  const previous = getLogger();
  const lines: string[] = [];
  const push = (m: string): void => {
    lines.push(m);
  };
  setLogger({ debug: push, info: push, warning: push, error: push });
  return { lines, [Symbol.dispose]: () => setLogger(previous) };
}
