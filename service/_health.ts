// The launchers' optional HTTP health endpoint: GET /healthz (liveness) and GET /readyz
// (readiness), each answering { state, workers } as JSON, for Kubernetes probes and the like.

import { getLogger } from "../runtime/logger.ts";
import { describeValue } from "../runtime/_describe.ts";
import { checkNumber } from "../runtime/_check_number.ts";
import { checkKnownKeys } from "../runtime/_check_options.ts";
import { sameClassError } from "../runtime/_same_class_error.ts";
import type { HealthEndpointOptions } from "./process_launcher.ts";

/** What the endpoint reports. */
export interface HealthReport {
  state: string;
  live: boolean;
  ready: boolean;
  workers: unknown;
}

/** A running endpoint. */
export interface HealthServer {
  readonly addr: Deno.NetAddr;
  close(): Promise<void>;
}

// Checked against HealthEndpointOptions by the type checker.
const HEALTH_KEYS = Object.keys(
  { port: true, hostname: true } satisfies Record<keyof HealthEndpointOptions, true>,
);

/** Validates the `health` option; undefined when absent. */
export function checkHealthOptions(value: unknown): Required<HealthEndpointOptions> | undefined {
  if (value === undefined) return undefined;
  const v = value as Partial<HealthEndpointOptions> | null;
  if (v === null || typeof v !== "object") {
    throw new TypeError(
      `Cannot create ProcessLauncher as 'health' must be an object { port, hostname? }: current value is ${
        describeValue(value)
      }`,
    );
  }
  // `host` for `hostname` listened on 127.0.0.1 without a word.
  checkKnownKeys(v, "create ProcessLauncher", "health", HEALTH_KEYS);
  const port = checkNumber(
    v.port,
    "create ProcessLauncher",
    "health.port",
    "an integer within 0..65535",
    (n) => Number.isInteger(n) && n >= 0 && n <= 65_535,
  );
  if (v.hostname !== undefined && (typeof v.hostname !== "string" || v.hostname === "")) {
    throw new TypeError(
      `Cannot create ProcessLauncher as 'health.hostname' must be a non-empty string: current value is ${
        describeValue(v.hostname)
      }`,
    );
  }
  return { port, hostname: v.hostname ?? "127.0.0.1" };
}

/** Starts the endpoint (throws at once when the address cannot be bound). */
export function serveHealth(
  options: Required<HealthEndpointOptions>,
  report: () => HealthReport,
): HealthServer {
  // Closed by aborting, not by shutdown(): a graceful shutdown waits for every request in
  // flight, and one whose client sent part of a body and went quiet never ends (nor the
  // launcher's stop that awaits it). Aborting closes every connection.
  const ac = new AbortController();
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = listen(options, ac.signal, report);
  } catch (error) {
    // Deno's own words ("Address already in use (os error 98)") do not say what was being bound.
    throw sameClassError(
      error,
      (m) => `Cannot start the health endpoint on ${options.hostname}:${options.port}: ${m}`,
    );
  }
  return {
    addr: server.addr,
    close: async () => {
      ac.abort();
      await server.finished;
    },
  };
}

function listen(
  options: Required<HealthEndpointOptions>,
  signal: AbortSignal,
  report: () => HealthReport,
): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({
    port: options.port,
    hostname: options.hostname,
    signal,
    onListen: ({ hostname, port }) => {
      getLogger().info(`Health endpoint on http://${hostname}:${port}/healthz and /readyz`);
    },
    onError: () => new Response("internal error\n", { status: 500 }),
  }, (req) => {
    const path = new URL(req.url).pathname;
    if (req.method !== "GET" && req.method !== "HEAD") {
      return new Response("method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
    }
    if (path !== "/healthz" && path !== "/readyz") {
      return new Response("not found: try /healthz or /readyz\n", { status: 404 });
    }
    const r = report();
    const ok = path === "/healthz" ? r.live : r.ready;
    return Response.json({ state: r.state, workers: r.workers }, {
      status: ok ? 200 : 503,
      headers: { "cache-control": "no-store" },
    });
  });
}
