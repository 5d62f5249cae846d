// Which loggers are known to drop debug lines: the built-in ones register a level check here, so
// hot paths (lock acquisition) can skip building debug messages nobody writes. A logger given to
// setLogger() is never registered: it sees every line.

const checks = new WeakMap<object, () => boolean>();

/** Registers `logger`'s check: `drops()` is true while it writes no debug lines. */
export function registerDebugDrop(logger: object, drops: () => boolean): void {
  checks.set(logger, drops);
}

/** Whether `logger` writes debug lines (true unless it is known to drop them). */
export function writesDebug(logger: object): boolean {
  const drops = checks.get(logger);
  return drops === undefined || !drops();
}
