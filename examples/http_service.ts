// deno-lint-ignore-file no-console -- an example program prints what it does.
/**
 * `deno task demo`: an HTTP service on 127.0.0.1:8000 run by a ProcessLauncher with 2 workers;
 * each answers with its worker id and pid. Ctrl-C (SIGINT) or SIGTERM stop it, SIGHUP replaces
 * the workers one at a time (re-reading `--config-file`s given on the command line).
 *
 *     deno run --unstable-net --allow-net=127.0.0.1:8000 --allow-read=. --allow-env \
 *       examples/http_service.ts [--config-file my.conf]
 *
 * Both workers listen on the same port with `reusePort` (the kernel spreads connections), which
 * Deno only offers behind `--unstable-net`. A reload loses no request: each worker serves with
 * `serveDraining()` (examples/draining_http.ts), which stops accepting, answers every request it
 * has accepted, then exits; the launcher turns on `net.ipv4.tcp_migrate_req` so that connections
 * still queued on a closing listener move to the other one (`--allow-run=sysctl` lets it, as
 * root; it warns otherwise). The workers are Web Workers (the threading backend),
 * so no `--allow-run` is needed; with `FJORD_BACKEND=cooperative` they are child processes and
 * the program needs `--allow-run` too (it passes the children their exact flags in `denoArgs`).
 * `FJORD_DEMO_PORT` picks another port (grant `--allow-net` for it).
 *
 * @module
 */

import { Config, initBackend, ProcessLauncher, type ServiceBase } from "@fjord/fjord";
import { type DrainingServer, serveDraining } from "./draining_http.ts";

/** One worker's HTTP server. */
export class HttpService implements ServiceBase {
  #workerId: number;
  #port: number;
  #server: DrainingServer | undefined;

  constructor(workerId: number, port: number) {
    this.#workerId = workerId;
    this.#port = port;
  }

  start(): void {
    // Listening before start() returns: a rolling reload stops the old worker only after this.
    this.#server = serveDraining(
      { hostname: "127.0.0.1", port: this.#port, reusePort: true },
      () => new Response(`worker ${this.#workerId} pid ${Deno.pid}\n`),
    );
    const { hostname, port } = this.#server.addr;
    console.log(`worker ${this.#workerId} (pid ${Deno.pid}) on http://${hostname}:${port}/`);
  }

  async stop(options: { graceful?: boolean } = {}): Promise<void> {
    // Graceful: stop accepting, answer every request already accepted, then close. Otherwise
    // drop everything at once.
    if (options.graceful) await this.#server?.drain();
    else this.#server?.close();
    console.log(`worker ${this.#workerId} (pid ${Deno.pid}) stopped`);
  }

  async wait(): Promise<void> {
    await this.#server?.finished;
  }

  reset(): void {}
}

/** The ServiceRef export: called in each worker with its id and its own Config. */
export function httpService(ctx: { workerId: number }, port: number): HttpService {
  return new HttpService(ctx.workerId, port);
}

if (import.meta.main) {
  const port = Number(Deno.env.get("FJORD_DEMO_PORT") ?? 8000);
  if (!Deno.env.get("FJORD_BACKEND")) initBackend("threading");
  const conf = new Config();
  await conf.load({ args: Deno.args });
  const launcher = new ProcessLauncher(conf, {
    denoArgs: ["--unstable-net", `--allow-net=127.0.0.1:${port}`, "--allow-read=.", "--allow-env"],
  });
  launcher.launchService(
    { module: import.meta.url, export: "httpService", args: [port] },
    { workers: 2 },
  );
  Deno.exit(await launcher.wait());
}
