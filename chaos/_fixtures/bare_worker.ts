/// <reference lib="deno.worker" />
// A Web Worker that says it started and ends itself (bare_spawn.ts's Worker floor).
self.postMessage("up");
self.close();
