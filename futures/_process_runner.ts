// ProcessPoolExecutor's workers: child `deno run` processes of _process_child.ts, speaking
// length-prefixed v8-serialized frames over stdin/stdout.

import { selectBackendType } from "../runtime/selection.ts";
import type { FromWorker } from "./_protocol.ts";
import { decodePayload, encodeFrame, FrameReader } from "./_protocol.ts";
import { createRemoteRunner } from "./_remote_runner.ts";
import { cpuCount, type Runner, runnerFactories, type RunnerHost } from "./_runner.ts";

const BOOTSTRAP = new URL("./_process_child.ts", import.meta.url).href;
const KILL_AFTER_MS = 5000;

const PERMISSIONS = ["read", "write", "net", "env", "run", "ffi", "sys", "import"] as const;

/** `--allow-<name>` for every permission this process holds in full. */
function inheritedPermissionFlags(): string[] {
  const flags: string[] = [];
  for (const name of PERMISSIONS) {
    try {
      const status = Deno.permissions.querySync({ name } as Deno.PermissionDescriptor);
      if (status.state === "granted") flags.push(`--allow-${name}`);
    } catch {
      // A permission this Deno does not know: nothing to pass on.
    }
  }
  return flags;
}

export function createProcessRunner(
  host: RunnerHost,
  max: number,
  depth: number,
  denoArgs: string[] | undefined,
): Runner {
  const flags = denoArgs ?? inheritedPermissionFlags();
  const backend = selectBackendType();
  return createRemoteRunner(host, max, depth, "process", (_name, events) => {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", "--no-lock", "--quiet", ...flags, BOOTSTRAP, backend],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const writer = child.stdin.getWriter();
    let exited = false;
    const pump = (async () => {
      const reader = new FrameReader();
      try {
        for await (const chunk of child.stdout) {
          for (const payload of reader.push(chunk)) {
            events.message(decodePayload(payload) as FromWorker);
          }
        }
      } catch {
        // The pipe broke, or a frame could not be decoded: the child cannot be talked to any
        // more, so make sure it goes (it may still be alive) and let the exit below report it.
        try {
          child.kill("SIGKILL");
        } catch {
          // Already gone.
        }
      }
      const status = await child.status;
      exited = true;
      events.exit(
        status.signal ? `it was killed by ${status.signal}` : `it exited with code ${status.code}`,
      );
    })();
    return {
      // A child process always gets a copy: there is nothing to move across processes.
      post(msg): void {
        writer.write(encodeFrame(msg)).catch(() => {});
      },
      setActive(active: boolean): void {
        if (active) child.ref();
        else child.unref();
      },
      async terminate(): Promise<void> {
        // Shutting down is work too: keep the process alive until the child has gone.
        child.ref();
        await writer.close().catch(() => {});
        let timer: ReturnType<typeof setTimeout> | undefined;
        if (!exited) {
          timer = setTimeout(() => {
            try {
              child.kill("SIGKILL");
            } catch {
              // Already gone.
            }
          }, KILL_AFTER_MS);
        }
        await pump;
        clearTimeout(timer);
      },
    };
  });
}

runnerFactories.process = (host, o) =>
  createProcessRunner(host, o.maxWorkers ?? cpuCount(), o.tasksPerWorker, o.denoArgs);
