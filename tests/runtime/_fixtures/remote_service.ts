// deno-lint-ignore-file no-console
// A service and a task for remote_main.ts (loaded over http, like a published package).

export function quick(ctx: { workerId: number }): {
  start(): void;
  stop(): void;
  wait(): Promise<void>;
  reset(): void;
} {
  const stopped = Promise.withResolvers<void>();
  return {
    start: () => console.log(`started ${ctx.workerId} ${"WorkerGlobalScope" in globalThis}`),
    stop: () => stopped.resolve(),
    wait: () => stopped.promise,
    reset: () => {},
  };
}

export function double(x: number): number {
  return 2 * x;
}
