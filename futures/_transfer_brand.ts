// How executors recognise values marked by transfer(): a registered symbol, so a task module
// that loads fjord from another URL (another module instance) is still understood.

export const TRANSFER_BRAND: unique symbol = Symbol.for("fjord.futures.transfer") as never;

interface Marked {
  readonly value: unknown;
  readonly transfer: readonly Transferable[];
}

export function isTransferred(value: unknown): value is Marked {
  return typeof value === "object" && value !== null &&
    (value as Record<symbol, unknown>)[TRANSFER_BRAND] === true;
}

/**
 * Unwraps marked top-level arguments; returns `args` itself when none is marked (the common,
 * allocation-free case). Transfer lists are appended to `into` when given.
 */
export function unwrapArgs(args: unknown[], into?: Transferable[]): unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!isTransferred(a)) continue;
    out ??= args.slice();
    out[i] = a.value;
    if (into) into.push(...a.transfer);
  }
  return out ?? args;
}
