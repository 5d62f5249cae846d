// The one loader for code another isolate names: TaskRef and ServiceRef both import a module by
// absolute URL and take one export from it. Each caller turns the failure reason into its own
// error class (TaskNotFoundError, ServiceNotFoundError).

// `import(url)` of a runtime URL is what this loader is for, but `deno publish` warns about every
// import() whose specifier it cannot resolve ahead of time (it would rewrite import-map
// specifiers, and ours are always absolute URLs), with no way to mark one as intended. The
// import therefore runs from a function built at run time, which the analyzer does not see.
const importUrl = new Function("url", "return import(url)") as (
  url: string,
) => Promise<Record<string, unknown>>;

// One import() per URL, shared by every caller. A second import() of a module whose top-level
// await has not settled yet can resolve before its evaluation ends (seen in Deno 2.9 child
// processes: the service module's exports still in their TDZ, "ReferenceError: Svc is not
// defined", when preloadModule and loadExport both imported a module awaiting for 1.5 s; the
// bug of denoland/deno_core#1149, whose fix in deno#31670 does not cover this case here).
const imports = new Map<string, Promise<Record<string, unknown>>>();

function importOnce(url: string): Promise<Record<string, unknown>> {
  let loading = imports.get(url);
  if (loading === undefined) {
    loading = importUrl(url);
    imports.set(url, loading);
  }
  return loading;
}

/**
 * Starts loading `url` ahead of {@linkcode loadExport}, which then awaits the same load; a
 * failure is left for loadExport to report.
 */
export function preloadModule(url: string): void {
  importOnce(url).catch(() => {});
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
    mod = await importOnce(url);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw fail(`the module failed to load: ${why}`, cause);
  }
  if (!Object.hasOwn(mod, name)) throw fail("the module has no such export");
  const value = mod[name];
  if (typeof value !== "function") throw fail(describe(value));
  return value as (...args: unknown[]) => unknown;
}
