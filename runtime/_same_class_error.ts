// A caught error given a message that says what was being done, as an instance of its own class:
// callers still catch the class they know (Deno.errors.AddrInUse, NotCapable, …), and the
// original is the new error's `cause`.

/**
 * `error` as a new instance of its own class (`Error` for a thrown non-error) whose message is
 * `message(original message)`, with `error` as its cause.
 */
export function sameClassError(error: unknown, message: (original: string) => string): Error {
  const Ctor = (error instanceof Error ? error.constructor : Error) as new (
    m: string,
    o?: ErrorOptions,
  ) => Error;
  return new Ctor(message(error instanceof Error ? error.message : String(error)), {
    cause: error,
  });
}
