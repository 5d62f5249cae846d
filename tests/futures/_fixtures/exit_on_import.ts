// A task module that kills its isolate while it is imported (before any task runs).

Deno.exit(7);
export function never(): number {
  return 1;
}
