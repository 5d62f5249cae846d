/// <reference lib="deno.worker" />
// A Web Worker that loads the modules a launcher worker loads (its entry's graph, not the entry:
// that would wait for a launcher), says it started and ends itself: bare_spawn.ts's Worker floor.
// Deno keeps a little native memory for every Worker that loaded a module graph (measured over
// 3 000 Workers: an empty module levels off at +6 MiB, this graph still grows ~2 KiB a Worker),
// so a launcher is measured against Deno starting Workers of the same graph.
import "../../runtime/_isolate_guest.ts";
import "../../runtime/_module_loader.ts";
import "../../runtime/logger.ts";
import "../../service/_launcher_runtime.ts";
import "./crash_service.ts";

self.postMessage("up");
self.close();
