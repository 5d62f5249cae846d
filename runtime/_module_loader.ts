// The one loader for code another isolate names: TaskRef and ServiceRef both import a module by
// absolute URL and take one export from it. Each caller turns the failure reason into its own
// error class (TaskNotFoundError, ServiceNotFoundError).

// The one dynamic import of a module named at run time (publishing cannot analyze it).
function importModule(url: string): Promise<Record<string, unknown>> {
  return import(url);
}

/**
 * Starts loading `url` ahead of {@linkcode loadExport} (the module map shares the load); a
 * failure is left for loadExport to report.
 */
export function preloadModule(url: string): void {
  importModule(url).catch(() => {});
}

/** Why an export could not be loaded. */
export type LoadFailure = (reason: string, cause?: unknown) => Error;

/**
 * Imports `url` and returns its export `name`, which must be a function. `describe` names a
 * value that is not one (for the error).
 */
export async function loadExport(
  url: string,
  name: string,
  fail: LoadFailure,
  describe: (value: unknown) => string,
): Promise<(...args: unknown[]) => unknown> {
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(url);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw fail(`the module failed to load: ${why}`, cause);
  }
  if (!Object.hasOwn(mod, name)) throw fail("the module has no such export");
  const value = mod[name];
  if (typeof value !== "function") throw fail(describe(value));
  return value as (...args: unknown[]) => unknown;
}
