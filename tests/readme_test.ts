// Every fenced TypeScript block of README.md runs as a user would run it: written to a file inside
// the package (so `@fjord/fjord` resolves to this checkout through deno.json's name and exports),
// started with `deno run` and exactly the permissions its first comment line states
// (`// name.ts — deno run --allow-read name.ts`; none when it states none), bounded by a timeout.
// Info strings: ```ts runs to completion and must exit 0; ```ts service is long-running: once it has
// printed something it gets SIGTERM and must exit 0; ```ts fragment is only type-checked. A
// `// => text` comment on a line means `text` must appear in the block's output. Each program that
// runs to completion runs once more at a terminal, where it must show no permission prompt.
// The permissions table of the README is checked too: each feature run without its flag fails
// with an error naming the flag.

import assert from "node:assert/strict";
import { atTerminal } from "./_util.ts";

const ROOT = new URL("../", import.meta.url);
const README = new URL("README.md", ROOT);
const TIMEOUT_MS = 60_000;

interface Block {
  line: number;
  info: string[];
  code: string;
}

function readmeBlocks(): Block[] {
  const text = Deno.readTextFileSync(README);
  const blocks: Block[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(ts|typescript)\b(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.startsWith("```"); i++) body.push(lines[i]!);
    blocks.push({
      line: start + 1,
      info: open[2]!.trim().split(/\s+/).filter(Boolean),
      code: body.join("\n"),
    });
  }
  return blocks;
}

/** The flags of a `deno run --allow-x ... file.ts` comment in the block's first lines. */
function statedFlags(code: string): string[] {
  for (const line of code.split("\n").slice(0, 2)) {
    const m = /^\/\/.*\bdeno run ((?:--[\w=.,:/-]+\s+)*)\S+\.ts\s*$/.exec(line);
    if (m) return m[1]!.trim().split(/\s+/).filter(Boolean);
  }
  return [];
}

function expectations(code: string): string[] {
  return [...code.matchAll(/\/\/ => (.+)$/gm)].map((m) => m[1]!.trim());
}

interface Outcome {
  code: number;
  signal: Deno.Signal | null;
  output: string;
}

/** Runs `deno <args>` in ROOT; `service`: SIGTERM once it has printed something. */
async function run(
  args: string[],
  service = false,
  env: Record<string, string> = {},
): Promise<Outcome> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  let printed: () => void = () => {};
  const somethingPrinted = new Promise<void>((resolve) => printed = resolve);
  const pump = async (stream: ReadableStream<Uint8Array>, isStdout: boolean): Promise<void> => {
    const dec = new TextDecoder();
    for await (const chunk of stream) {
      output += dec.decode(chunk, { stream: true });
      if (isStdout) printed();
    }
  };
  const pumps = Promise.all([pump(child.stdout, true), pump(child.stderr, false)]);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), TIMEOUT_MS);
  });
  try {
    if (service) {
      const first = await Promise.race([somethingPrinted.then(() => "printed" as const), timedOut]);
      if (first === "printed") child.kill("SIGTERM");
    }
    const end = await Promise.race([child.status, timedOut]);
    if (end === "timeout") {
      child.kill("SIGKILL");
      await child.status;
      await pumps;
      throw new Error(`deno ${args.join(" ")} ran over ${TIMEOUT_MS} ms:\n${output}`);
    }
    await pumps;
    return { code: end.code, signal: end.signal, output };
  } finally {
    clearTimeout(timer);
  }
}

/** A temp dir inside the package, so `@fjord/fjord` resolves to this checkout. */
async function withBlockFile<T>(
  name: string,
  code: string,
  fn: (path: string) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir({ dir: ROOT.pathname, prefix: ".readme-" });
  try {
    const path = `${dir}/${name}`;
    await Deno.writeTextFile(path, code);
    return await fn(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const blocks = readmeBlocks();

Deno.test("README.md has fenced TypeScript blocks and each states how it is run", () => {
  assert.ok(blocks.length >= 9, `${blocks.length} blocks`);
  for (const b of blocks) {
    for (const word of b.info) {
      assert.ok(
        ["fragment", "service"].includes(word),
        `README.md:${b.line}: unknown info '${word}'`,
      );
    }
  }
});

// Each block runs as a user would run it: fragments type-check, programs run with the flags their
// first comment states, and a service stops on SIGTERM.
for (const b of blocks) {
  const fileName = /^\/\/ (\w+\.ts)\b/.exec(b.code)?.[1] ?? `block_${b.line}.ts`;
  if (b.info.includes("fragment")) {
    Deno.test(`README.md:${b.line} (${fileName}) fragment type-checks`, async () => {
      await withBlockFile(fileName, b.code, async (path) => {
        const out = await run(["check", "--quiet", path]);
        assert.equal(out.code, 0, out.output);
      });
    });
    continue;
  }
  const service = b.info.includes("service");
  const flags = statedFlags(b.code);
  Deno.test({
    name: `README.md:${b.line} (${fileName}) runs with ${flags.join(" ") || "no permissions"}${
      service ? ", stops on SIGTERM" : ""
    } and prints what it says`,
    fn: async () => {
      await withBlockFile(fileName, b.code, async (path) => {
        const env: Record<string, string> = fileName === "api.ts"
          ? { PORT: String(20_000 + Math.floor(Math.random() * 40_000)) }
          : {};
        const out = await run(["run", ...flags, path], service, env);
        assert.equal(out.code, 0, `exit ${out.code} (${out.signal}):\n${out.output}`);
        for (const want of expectations(b.code)) {
          assert.ok(
            out.output.includes(want),
            `README.md:${b.line}: '${want}' not in:\n${out.output}`,
          );
        }
      });
    },
  });
  if (service) continue;
  // At a terminal, Deno shows a prompt for a permission the program lacks and waits for an
  // answer: a program that runs with the flags it names must never need one (four did, for
  // FJORD_LOG_LEVEL). The service blocks' terminal runs are in their features' tests.
  Deno.test(`README.md:${b.line} (${fileName}) run at a terminal asks for no permission`, async () => {
    await withBlockFile(fileName, b.code, async (path) => {
      const out = await atTerminal([Deno.execPath(), "run", ...flags, path], { NO_COLOR: "1" });
      assert.doesNotMatch(out.output, /Deno requests/);
      assert.equal(out.code, 0, out.output);
    });
  });
}

Deno.test("every file in examples/ is run by a test in tests/examples/", async () => {
  let tests = "";
  for await (const t of Deno.readDir(new URL("tests/examples/", ROOT))) {
    if (t.isFile && t.name.endsWith("_test.ts")) {
      tests += await Deno.readTextFile(new URL(`tests/examples/${t.name}`, ROOT));
    }
  }
  for await (const e of Deno.readDir(new URL("examples/", ROOT))) {
    if (e.isFile && e.name.endsWith(".ts")) {
      assert.ok(tests.includes(`examples/${e.name}`), `examples/${e.name} is not run by a test`);
    }
  }
});

// The README's permissions table, row by row: the feature run without its flag fails and the
// error names the flag to add.
const PROBES: {
  row: string;
  flag: string;
  code: string;
  extra?: Record<string, string>;
  args?: string[];
}[] = [
  {
    row: "execute()",
    flag: "--allow-run",
    code: `import { execute } from "@fjord/fjord/process";\nawait execute(["true"]);\n`,
  },
  {
    row: "ProcessPoolExecutor",
    flag: "--allow-run",
    code: `import { ProcessPoolExecutor } from "@fjord/fjord/futures";
await using ex = new ProcessPoolExecutor({ maxWorkers: 1 });
await ex.submit({ module: new URL("./task.ts", import.meta.url), export: "f" });\n`,
  },
  {
    row: "WorkerPoolExecutor",
    flag: "--allow-read",
    code: `import { WorkerPoolExecutor } from "@fjord/fjord/futures";
await using ex = new WorkerPoolExecutor({ maxWorkers: 1 });
await ex.submit({ module: new URL("./task.ts", import.meta.url), export: "f" });\n`,
  },
  {
    row: "ProcessLauncher, isolation: process",
    flag: "--allow-run",
    code: `import { ProcessLauncher } from "@fjord/fjord";
const l = new ProcessLauncher(undefined, { isolation: "process" });
l.launchService({ module: new URL("./task.ts", import.meta.url), export: "svc" }, { workers: 1 });
await l.stop();\n`,
  },
  {
    row: "ProcessLauncher, isolation: worker",
    flag: "--allow-read",
    args: ["--allow-env"],
    code: `import { ProcessLauncher } from "@fjord/fjord";
const l = new ProcessLauncher(undefined, { isolation: "worker" });
l.launchService({ module: new URL("./task.ts", import.meta.url), export: "svc" }, { workers: 1 });
setTimeout(() => l.stop(), 3000);
await l.wait();\n`,
  },
  {
    row: "lock(name, { external: true })",
    flag: "--allow-write",
    args: ["--allow-read"],
    code: `import { lock } from "@fjord/fjord/lock";
await using _l = await lock("x", { external: true, lockPath: new URL(".", import.meta.url).pathname });\n`,
  },
  {
    row: "Config.load({ files })",
    flag: "--allow-read",
    code: `import { Config } from "@fjord/fjord/config";
await new Config().load({ files: [new URL("./app.conf", import.meta.url).pathname] });\n`,
  },
  {
    row: "a listening service (Deno.serve)",
    flag: "--allow-net",
    code:
      `const s = Deno.serve({ port: 0, onListen() {} }, () => new Response("x"));\nawait s.shutdown();\n`,
  },
];

for (const p of PROBES) {
  Deno.test(`without ${p.flag}, ${p.row} fails with an error naming ${p.flag}`, async () => {
    const dir = await Deno.makeTempDir({ dir: ROOT.pathname, prefix: ".perm-" });
    try {
      await Deno.writeTextFile(
        `${dir}/task.ts`,
        "export function f(): number { return 1; }\n" +
          "export function svc() { return { start() {}, stop() {}, wait() {}, reset() {} }; }\n",
      );
      await Deno.writeTextFile(`${dir}/app.conf`, "[DEFAULT]\n");
      await Deno.writeTextFile(`${dir}/main.ts`, p.code);
      const out = await run(["run", ...(p.args ?? []), `${dir}/main.ts`]);
      assert.notEqual(out.code, 0, out.output);
      assert.ok(out.output.includes(p.flag), `no '${p.flag}' in:\n${out.output}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
