// Hostile inputs to execute() and sshExecute(): wrong types, NUL bytes, `=` and empty env names,
// huge values, missing programs and cwds, self-killing children, 1 ms timeouts, aborts, throwing
// callbacks. Each call must settle (no hang) with a result or a typed error (TypeError and
// RangeError quoting at most ~200 characters of the input), and leave no process running.
// Seeded: FJORD_CHAOS_SEED=<seed> replays a run.

import {
  execute,
  type ExecuteOptions,
  NoRootWrapSpecifiedError,
  ProcessExecutionError,
  ProcessTimeoutError,
  sshExecute,
} from "../../process/mod.ts";
import { getLogger, setLogger } from "../../runtime/logger.ts";
import { chaosSeed, Prng } from "../_prng.ts";
import type { Scenario, ScenarioResult } from "../scenario.ts";

/** The seed of this module's runs (printed by the test and in every failure line). */
export const seed: number = chaosSeed();

/** How the last run's calls ended, by error name (`ok` for a result). */
export const outcomes: Record<string, number> = {};

const MESSAGE_BOUND = 1000;
const CALL_BOUND_MS = 30_000;
const TIME_BOUND_MS = 20 * 60_000;

/** Errors the scenario itself injects (abort reasons, throwing callbacks). */
class Injected extends Error {
  override name = "Injected";
}

const TYPED = [
  TypeError,
  RangeError,
  NoRootWrapSpecifiedError,
  ProcessExecutionError,
  ProcessTimeoutError,
  Injected,
];

const FAKE_SSH = `#!/bin/sh
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do shift; done
shift 2
exec /bin/sh -c "$1"
`;

const SCRIPTS = [
  "exit 3",
  "echo out; echo err >&2",
  "sleep 0.02 & wait",
  "kill -9 $$",
  "kill -TERM $$",
  "head -c 200000 /dev/zero",
  "cat",
  "printf 'password=hunter2 token=abc'",
  "exec 1>&-; exec 2>&-; sleep 0.01",
  "echo $HOME $PATH",
  "exit 255",
];

function hostileString(r: Prng): string {
  return r.pick([
    "",
    "\0",
    "a\0b",
    "=",
    "A=B",
    " ",
    "ls -la",
    "\u00e9\u{1F600}",
    "x".repeat(r.int(300_000)),
    "-oProxyCommand=x",
    "$(touch /nonexistent/x)",
    "--password=hunter2",
  ]);
}

function command(r: Prng): unknown {
  switch (r.int(10)) {
    case 0:
      return r.pick([["true"], ["false"], ["cat"], ["sleep", "0.01"], ["/usr/bin/env"]]);
    case 1:
      return ["echo", ...Array.from({ length: r.int(4) }, () => hostileString(r))];
    case 2:
      return ["sh", "-c", r.pick(SCRIPTS)];
    case 3:
      return r.pick(["ls -la", "/nonexistent/fjord-prog", "true", "e\0cho", "x".repeat(5000)]);
    case 4:
      return r.pick(["", [], [""], ["echo", "a\0b"], null, 5, {}, ["echo", 5], [hostileString(r)]]);
    default:
      return ["sh", "-c", r.pick(SCRIPTS)];
  }
}

function env(r: Prng): unknown {
  if (r.chance(0.7)) return undefined;
  switch (r.int(6)) {
    case 0:
      return { PATH: "/usr/bin:/bin", A: "1" };
    case 1:
      return { [hostileString(r)]: "1" };
    case 2:
      return { A: hostileString(r) };
    case 3:
      return { A: r.pick([1, null, undefined, {}]) };
    case 4:
      return r.pick(["A=1", 5, null, []]);
    default:
      return {};
  }
}

function options(r: Prng, pids: number[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  // Each option: left out, a valid value, or (rarely) a hostile one, so that most calls get as
  // far as a spawn and the hostile values meet the rest of a plausible call.
  const maybe = (key: string, valid: unknown[], hostile: unknown[], p = 0.3): void => {
    if (!r.chance(p)) return;
    o[key] = r.chance(0.15) ? r.pick(hostile) : r.pick(valid);
  };
  o.timeout = r.chance(0.95)
    ? r.pick([5000, 5000, 5000, 1, 20])
    : r.pick([0, -1, NaN, "5", Infinity, 1e12]);
  const e = env(r);
  if (e !== undefined) o.env = e;
  maybe("shell", [true, false], ["yes"]);
  if (o.shell === true && r.chance(0.7)) o.__script = r.pick(SCRIPTS);
  maybe("cwd", ["/tmp", "/nonexistent", "/etc/passwd", ""], ["a\0", 5]);
  maybe("input", ["text", new Uint8Array(1 << 20), "", "\0\0"], [5, {}]);
  maybe("attempts", [1, 2], [0, -1, NaN, 1.5, "2"]);
  o.delayOnRetry = r.chance(0.02); // the 0.2-2 s retry sleep, rarely
  maybe("checkExitCode", [true, false, 1, [0, 1, 3], -9], ["x", [1.5], NaN]);
  maybe("logErrors", [0, 1, 2], [7, "x"]);
  maybe("loglevel", ["debug", "info", "warning", "error"], ["WARN", 3]);
  maybe("binary", [true, false], ["yes"]);
  maybe("prlimit", [{ numberFiles: 64 }, { cpuTime: 5 }], [{ cpuTime: -1 }, { addressSpace: "x" }, {
    bogus: 1,
  }], 0.1);
  maybe("runAsRoot", [true], [1], 0.05);
  maybe("rootHelper", ["/nonexistent/helper", "env"], ["", "sudo\0"], 0.05);
  if (r.chance(0.1)) {
    const c = new AbortController();
    if (r.chance(0.3)) c.abort(new Injected("aborted before"));
    else setTimeout(() => c.abort(new Injected("aborted")), r.int(30));
    o.signal = c.signal;
  } else if (r.chance(0.01)) {
    o.signal = "not a signal";
  }
  o.onExecute = r.chance(0.97)
    ? (child: Deno.ChildProcess) => pids.push(child.pid)
    : r.pick([5, () => {
      throw new Injected("onExecute threw");
    }]);
  return o;
}

function running(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

async function settle(call: () => Promise<unknown>): Promise<unknown> {
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    watchdog = setTimeout(() => reject(new Error("hang")), CALL_BOUND_MS);
  });
  try {
    await Promise.race([Promise.resolve().then(call), hang]);
    return undefined;
  } catch (error) {
    return error;
  } finally {
    clearTimeout(watchdog);
  }
}

const scenario: Scenario = {
  name: "process: hostile execute() and sshExecute() inputs fail typed, nothing left running",
  iterations: { full: 20_000, short: 300 },
  async run({ iterations }): Promise<ScenarioResult> {
    const r = new Prng(seed);
    const failures: string[] = [];
    const pids: number[] = [];
    const dir = await Deno.makeTempDir({ prefix: "fjord_chaos_process_" });
    const ssh = `${dir}/ssh`;
    await Deno.writeTextFile(ssh, FAKE_SSH);
    await Deno.chmod(ssh, 0o755);
    const started = performance.now();
    let count = 0;
    // Thousands of command lines (some 300 000 characters long) are no use in the output.
    const logger = getLogger();
    const quiet = (): void => {};
    setLogger({ debug: quiet, info: quiet, warning: quiet, error: quiet });
    try {
      for (; count < iterations; count++) {
        if (performance.now() - started > TIME_BOUND_MS) {
          failures.push(`seed ${seed}: stopped after ${count} calls: time bound exceeded`);
          break;
        }
        const o = options(r, pids);
        let cmd = command(r);
        if (typeof o.__script === "string") cmd = o.__script;
        delete o.__script;
        const viaSsh = r.chance(0.1);
        const destination = r.chance(0.7) ? "host" : hostileString(r);
        const t0 = performance.now();
        const error = await settle(() =>
          viaSsh
            ? sshExecute(destination, cmd as string, { ...o, sshCommand: ssh } as never)
            : execute(cmd as string, o as ExecuteOptions)
        );
        const where = `seed ${seed}, call ${count}`;
        const name = error === undefined
          ? "ok"
          : error instanceof Error
          ? error.name
          : typeof error;
        outcomes[name] = (outcomes[name] ?? 0) + 1;
        if (error instanceof Error && error.message === "hang") {
          failures.push(`${where}: did not settle in ${CALL_BOUND_MS} ms`);
        } else if (error !== undefined && !TYPED.some((T) => error instanceof T)) {
          failures.push(`${where}: untyped ${String(error).slice(0, 300)}`);
        } else if (
          (error instanceof TypeError || error instanceof RangeError) &&
          error.message.length > MESSAGE_BOUND
        ) {
          failures.push(`${where}: ${error.name} message of ${error.message.length} characters`);
        }
        if (performance.now() - t0 > CALL_BOUND_MS) failures.push(`${where}: too slow`);
        if (failures.length > 20) break;
      }
      // Every child has been waited for by execute(); give reaping a moment, then check.
      const deadline = performance.now() + 5000;
      let alive = pids.filter(running);
      while (alive.length > 0 && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        alive = alive.filter(running);
      }
      if (alive.length > 0) failures.push(`seed ${seed}: still running: pids ${alive.join(", ")}`);
    } finally {
      setLogger(logger);
      await Deno.remove(dir, { recursive: true });
    }
    return { count, failures };
  },
};

export default scenario;
