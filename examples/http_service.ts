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
 * Deno only offers behind `--unstable-net`. The workers are Web Workers (the threading backend),
 * so no `--allow-run` is needed; with `FJORD_BACKEND=cooperative` they are child processes and
 * the program needs `--allow-run` too (it passes the children their exact flags in `denoArgs`).
 * `FJORD_DEMO_PORT` picks another port (grant `--allow-net` for it).
 *
 * @module
 */

import { Config, initBackend, ProcessLauncher, type ServiceBase } from "@fjord/fjord";

/** One worker's HTTP server. */
export class HttpService implements ServiceBase {
  #workerId: number;
  #port: number;
  #server: Deno.HttpServer | undefined;
  #abort = new AbortController();

  constructor(workerId: number, port: number) {
    this.#workerId = workerId;
    this.#port = port;
  }

  start(): Promise<void> {
    const ready = Promise.withResolvers<void>();
    this.#server = Deno.serve({
      hostname: "127.0.0.1",
      port: this.#port,
      reusePort: true,
      signal: this.#abort.signal,
      onListen: ({ hostname, port }) => {
        console.log(`worker ${this.#workerId} (pid ${Deno.pid}) on http://${hostname}:${port}/`);
        ready.resolve();
      },
      onError: () => new Response("internal error\n", { status: 500 }),
    }, () => new Response(`worker ${this.#workerId} pid ${Deno.pid}\n`));
    return ready.promise;
  }

  async stop(options: { graceful?: boolean } = {}): Promise<void> {
    // Graceful: finish the requests in flight; otherwise drop them.
    if (options.graceful) await this.#server?.shutdown();
    else this.#abort.abort();
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
