import assert from "node:assert/strict";
import {
  BackendAlreadySelectedError,
  BackendType,
  ComponentNotFoundError,
  type Components,
  DEFAULT_BACKEND_TYPE,
  getBackend,
  getBackendType,
  getComponent,
  initBackend,
  registerBackendDefaultHook,
  resetBackend,
} from "../../backends/mod.ts";
import { captureLog } from "../_util.ts";
import type { BackendType as BackendTypeName } from "../../backends/mod.ts";
import { AsyncPoolExecutor, WorkerPoolExecutor } from "../../futures/mod.ts";

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  assert.fail("expected the call to throw");
}

function withEnv(value: string | undefined, fn: () => void): void {
  const old = Deno.env.get("FJORD_BACKEND");
  if (value === undefined) Deno.env.delete("FJORD_BACKEND");
  else Deno.env.set("FJORD_BACKEND", value);
  try {
    fn();
  } finally {
    if (old === undefined) Deno.env.delete("FJORD_BACKEND");
    else Deno.env.set("FJORD_BACKEND", old);
    resetBackend();
  }
}

Deno.test("importing mod.ts or any sub-path entry point selects no backend", async () => {
  const root = new URL("../../", import.meta.url);
  const entries = [
    "backends/mod.ts",
    "lock/mod.ts",
    "process/mod.ts",
    "futures/mod.ts",
    "config/mod.ts",
    "mod.ts",
  ].map((p) => new URL(p, root).href);
  // One child process; a module that selected at import would show on the line of the first
  // entry point that loads it, so the root (which loads everything) comes last.
  const cmd = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `const r = await import("${new URL("backends/registry.ts", root).href}");
       for (const m of ${JSON.stringify(entries)}) {
         await import(m);
         console.log(m.slice(${root.href.length}) + " " + String(r.getBackendType()));
       }`,
    ],
    env: { FJORD_BACKEND: "threading" },
    stdout: "piped",
    stderr: "piped",
  });
  const out = await cmd.output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.deepEqual(new TextDecoder().decode(out.stdout).trim().split("\n"), [
    "backends/mod.ts undefined",
    "lock/mod.ts undefined",
    "process/mod.ts undefined",
    "futures/mod.ts undefined",
    "config/mod.ts undefined",
    "mod.ts undefined",
  ]);
});

Deno.test("BackendType names both backends and the default is cooperative", () => {
  assert.equal(BackendType.THREADING, "threading");
  assert.equal(BackendType.COOPERATIVE, "cooperative");
  assert.equal(DEFAULT_BACKEND_TYPE, "cooperative");
  assert.ok(Object.isFrozen(BackendType));
});

Deno.test("getBackend() selects the default once and freezes it", () => {
  withEnv(undefined, () => {
    assert.equal(getBackendType(), undefined);
    const first = getBackend();
    assert.equal(first.type, "cooperative");
    assert.equal(getBackend(), first);
    assert.equal(getBackendType(), "cooperative");
  });
});

Deno.test("initBackend() selects, repeats as a no-op and refuses another type", () => {
  withEnv(undefined, () => {
    const b = initBackend("threading");
    assert.equal(b.type, "threading");
    assert.equal(b.taskIsolation, "worker");
    assert.equal(b.launcherIsolation, "worker");
    assert.equal(initBackend("threading"), b);
    const err = thrown(() => initBackend("cooperative"));
    assert.ok(err instanceof BackendAlreadySelectedError);
    assert.equal(err.name, "BackendAlreadySelectedError");
    assert.equal(err.current, "threading");
    assert.equal(err.requested, "cooperative");
    assert.equal(getBackend().type, "threading");
  });
});

Deno.test("initBackend() after getBackend() chose the default refuses a different type", () => {
  withEnv(undefined, () => {
    getBackend();
    assert.throws(() => initBackend("threading"), BackendAlreadySelectedError);
  });
});

Deno.test("initBackend() rejects an unknown type with a TypeError naming it", () => {
  withEnv(undefined, () => {
    assert.throws(() => initBackend("bogus" as BackendTypeName), {
      name: "TypeError",
      message:
        `Cannot select backend as 'type' must be "threading" or "cooperative": current value is string bogus`,
    });
    // Described by type: the number 1 and the string "1" read differently.
    assert.throws(() => initBackend(1 as unknown as BackendTypeName), {
      name: "TypeError",
      message: /: current value is number 1$/,
    });
    assert.equal(getBackendType(), undefined);
  });
});

Deno.test("FJORD_BACKEND selects the backend, read lazily at selection", () => {
  withEnv("threading", () => {
    assert.equal(getBackend().type, "threading");
  });
  withEnv("cooperative", () => {
    assert.equal(getBackend().type, "cooperative");
  });
});

Deno.test("an unknown FJORD_BACKEND falls back to the default with one warning", () => {
  using log = captureLog();
  withEnv("eventlet", () => {
    assert.equal(getBackend().type, DEFAULT_BACKEND_TYPE);
    getBackend();
  });
  assert.equal(log.warnings.length, 1);
  assert.match(log.warnings[0]!, /FJORD_BACKEND is .*: current value is string eventlet;/);
});

Deno.test("the default hook wins over FJORD_BACKEND", () => {
  withEnv("cooperative", () => {
    registerBackendDefaultHook(() => "threading");
    assert.equal(getBackend().type, "threading");
  });
});

Deno.test("the default hook does not override initBackend()", () => {
  withEnv(undefined, () => {
    registerBackendDefaultHook(() => "threading");
    assert.equal(initBackend("cooperative").type, "cooperative");
    assert.equal(getBackend().type, "cooperative");
  });
});

Deno.test("a hook that calls initBackend() itself keeps that selection frozen", () => {
  withEnv(undefined, () => {
    let inHook: string | undefined;
    registerBackendDefaultHook(() => {
      inHook = initBackend("threading").type;
      return "cooperative";
    });
    assert.equal(getBackend().type, "threading");
    assert.equal(inHook, "threading");
    assert.equal(getBackendType(), "threading", "the hook's return value replaced the selection");
  });
});

Deno.test("a throwing hook falls back to the default with one warning", () => {
  using log = captureLog();
  withEnv("threading", () => {
    registerBackendDefaultHook(() => {
      throw new Error("boom");
    });
    assert.equal(getBackend().type, DEFAULT_BACKEND_TYPE);
  });
  assert.equal(log.warnings.length, 1);
  assert.match(log.warnings[0]!, /hook failed/);
});

Deno.test("a hook returning a non-type falls back to the default with one warning", () => {
  using log = captureLog();
  withEnv(undefined, () => {
    registerBackendDefaultHook(() => "bogus" as BackendTypeName);
    assert.equal(getBackend().type, DEFAULT_BACKEND_TYPE);
  });
  assert.equal(log.warnings.length, 1);
});

Deno.test("registerBackendDefaultHook() rejects a non-function", () => {
  assert.throws(
    () => registerBackendDefaultHook("threading" as unknown as () => BackendTypeName),
    TypeError,
  );
});

Deno.test("resetBackend() clears the selection and the hook", () => {
  withEnv(undefined, () => {
    registerBackendDefaultHook(() => "threading");
    assert.equal(getBackend().type, "threading");
    resetBackend();
    assert.equal(getBackendType(), undefined);
    assert.equal(getBackend().type, "cooperative");
  });
});

Deno.test("getComponent() returns the backend's component and selects on first use", () => {
  withEnv(undefined, () => {
    const SignalHandler = getComponent("SignalHandler");
    assert.equal(typeof SignalHandler, "function");
    assert.equal(getBackendType(), "cooperative");
    assert.equal(getComponent("SignalHandler"), getBackend().components.SignalHandler);
  });
});

Deno.test("getComponent() throws ComponentNotFoundError for an unknown name", () => {
  withEnv(undefined, () => {
    const err = thrown(() => getComponent("Nope" as "SignalHandler"));
    assert.ok(err instanceof ComponentNotFoundError);
    assert.equal(err.component, "Nope");
    assert.equal(err.name, "ComponentNotFoundError");
    assert.throws(() => getComponent("toString" as "SignalHandler"), ComponentNotFoundError);
  });
});

// The component names API.md §1 promises: the one list the backends are checked against.
const COMPONENT_NAMES = [
  "Service",
  "Services",
  "Launcher",
  "ServiceLauncher",
  "ProcessLauncher",
  "launch",
  "ThreadGroup",
  "Thread",
  "FixedIntervalLoopingCall",
  "FixedIntervalWithTimeoutLoopingCall",
  "DynamicLoopingCall",
  "BackOffLoopingCall",
  "RetryDecorator",
  "LoopingCallDone",
  "LoopingCallTimeOut",
  "SignalHandler",
  "SignalExit",
  "Executor",
] as const satisfies readonly (keyof Components)[];

Deno.test("both backends provide exactly the component names API.md lists", () => {
  withEnv(undefined, () => {
    const coop = Object.keys(initBackend("cooperative").components).sort();
    resetBackend();
    const threading = Object.keys(initBackend("threading").components).sort();
    assert.deepEqual(coop, [...COMPONENT_NAMES].sort());
    assert.deepEqual(threading, coop);
  });
});

Deno.test('getComponent("Executor") is each backend\'s default pool executor', () => {
  withEnv(undefined, () => {
    initBackend("cooperative");
    assert.equal(getComponent("Executor"), AsyncPoolExecutor);
    resetBackend();
    initBackend("threading");
    assert.equal(getComponent("Executor"), WorkerPoolExecutor);
  });
});

Deno.test("without --allow-env FJORD_BACKEND counts as unset, never a crash", async () => {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      `--allow-read=${new URL("../..", import.meta.url).pathname}`,
      "--deny-env",
      new URL("./_fixtures/print_backend.ts", import.meta.url).pathname,
    ],
    env: { FJORD_BACKEND: "threading" },
    stdout: "piped",
    stderr: "piped",
  });
  const out = await cmd.output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.equal(new TextDecoder().decode(out.stdout).trim(), "cooperative");
});

Deno.test("a hook value or FJORD_BACKEND that cannot be printed, or would forge a log line, is described safely", () => {
  // String() of a null-prototype object threw out of getBackend() (nothing was selected, and
  // every later constructor threw too); a newline in the value started a forged log line.
  using log = captureLog();
  withEnv(undefined, () => {
    registerBackendDefaultHook(() => Object.create(null) as BackendTypeName);
    assert.equal(getBackend().type, DEFAULT_BACKEND_TYPE);
  });
  resetBackend();
  withEnv("threading\nERROR fjord: forged", () => {
    assert.equal(getBackend().type, DEFAULT_BACKEND_TYPE);
  });
  assert.equal(log.warnings.length, 2);
  assert.match(log.warnings[0]!, /^Backend default hook returned an object, not a backend type/);
  assert.ok(log.warnings.every((w) => !w.includes("\n")), log.warnings.join(" | "));
});

Deno.test("a hook that selects the backend itself fails with an error saying so, once", () => {
  // It recursed ~1 700 times until the stack overflowed, and the innermost failure froze the
  // default.
  using log = captureLog();
  let calls = 0;
  withEnv(undefined, () => {
    registerBackendDefaultHook(() => {
      calls++;
      getBackend();
      return "threading";
    });
    assert.equal(getBackend().type, DEFAULT_BACKEND_TYPE);
  });
  assert.equal(calls, 1);
  assert.equal(log.warnings.length, 1);
  assert.match(log.warnings[0]!, /hook failed/);
});

Deno.test("getComponent() with a name that is not a string is a TypeError, and selects nothing", () => {
  // It was ComponentNotFoundError ("42"), and the backend was selected on the way.
  resetBackend();
  assert.throws(() => getComponent(42 as unknown as keyof Components), {
    name: "TypeError",
    message: "Cannot get component as 'name' must be a string: current value is number 42",
  });
  assert.equal(getBackendType(), undefined);
  assert.throws(() => getComponent("nope" as keyof Components), ComponentNotFoundError);
});
