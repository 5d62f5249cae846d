// A module that launches itself from its top level while it is imported by another (so it is
// still evaluating when the launcher checks it): `deno run self_launching_main.ts ...`.

import { launchSelf } from "./self_launching.ts";
export { api } from "./self_launching.ts";

// Not in the workers: a Web Worker sees the same Deno.args as its process.
if (Deno.args[2] === "lib" && !("WorkerGlobalScope" in globalThis)) {
  await launchSelf(import.meta.url, Deno.args[0]!, Deno.args[1]!);
}
