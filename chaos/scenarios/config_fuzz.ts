// Fuzzed config files and command lines through Config.load(): every failure must be one of
// config's typed errors (or a TypeError for a malformed argument list) with a message that
// quotes at most ~200 characters of any key or value; memory stays bounded (substitution bombs
// included) and no load hangs. Seeded: FJORD_CHAOS_SEED=<seed> replays a run.

import {
  boolOpt,
  Config,
  ConfigFileNotFoundError,
  ConfigFileParseError,
  ConfigFileReadError,
  ConfigValueError,
  intOpt,
  listOpt,
  multiStrOpt,
  NoSuchOptError,
  portOpt,
  RequiredOptError,
  strOpt,
} from "../../config/mod.ts";
import { chaosSeed, Prng } from "../_prng.ts";
import type { Scenario, ScenarioResult } from "../scenario.ts";

/** The seed of this module's runs (printed by the test and in every failure line). */
export const seed: number = chaosSeed();

/** How the last run's loads ended, by error name (`ok` for a successful load). */
export const outcomes: Record<string, number> = {};

// Several quoted keys and values of 200 characters each, plus the fixed text.
const MESSAGE_BOUND = 1500;
// One load may read a few files of at most ~64 KiB and build values up to the 1 Mi cap.
const LOAD_BOUND_MS = 10_000;
const RSS_GROWTH_BOUND = 256 * 1024 * 1024;
const TIME_BOUND_MS = 15 * 60_000;

const QUIET = { debug(): void {}, info(): void {}, warning(): void {} };

const TYPED = [
  ConfigFileParseError,
  ConfigFileNotFoundError,
  ConfigFileReadError,
  ConfigValueError, // ConfigSubstitutionError too
  RequiredOptError,
  NoSuchOptError,
  TypeError, // a malformed argument list (`--config-file` without a path)
];

const NAMES = ["a", "b", "c", "n", "port", "flag", "items", "multi", "deep", "x_y", "x-y"];
const GROUPS = ["DEFAULT", "g", "G", "db.main", "default", "oslo_concurrency"];

function register(conf: Config): void {
  for (const group of ["DEFAULT", "g"]) {
    conf.registerOpts([
      strOpt("a"),
      strOpt("b", { default: "$a" }),
      strOpt("c", { secret: true }),
      intOpt("n", { min: -5, max: 1000 }),
      portOpt("port"),
      boolOpt("flag"),
      listOpt("items"),
      multiStrOpt("multi"),
      strOpt("deep", { default: "${g.a}$b" }),
      strOpt("x_y", { choices: ["1", "2", "$a"] }),
    ], group);
  }
  conf.registerOpt(strOpt("req", { required: true, default: "r" }), "db.main");
}

function token(r: Prng): string {
  switch (r.int(12)) {
    case 0:
      return `[${r.pick(GROUPS)}]`;
    case 1:
      return `${r.pick(NAMES)} = ${value(r)}`;
    case 2:
      return `${r.pick(NAMES)}: ${value(r)}`;
    case 3:
      return `  ${value(r)}`; // continuation
    case 4:
      return r.pick(["# comment", "; comment", "", "[", "]", "[]", "=", ":", " = x", "\t"]);
    case 5:
      return r.text("[]=:#; \t$\\{}.\"'ab\r\u00e9\u2028\uFEFF\0", r.int(40));
    case 6:
      return `${r.text("abcxyz_-.", 1 + r.int(300))} = ${value(r)}`;
    case 7: {
      // A substitution bomb: a = $b$b…, b = $c$c…, … over the registered names.
      const fan = 2 + r.int(30);
      return ["a", "b", "deep", "items", "multi"].map((n, i, all) =>
        `${n} = ${`$${all[i + 1] ?? "a"}`.repeat(fan)}`
      ).join("\n");
    }
    case 8:
      return `${r.pick(NAMES)} = ${"x".repeat(r.int(70_000))}`;
    default:
      return `${r.pick(NAMES)} = ${value(r)}`;
  }
}

function value(r: Prng): string {
  switch (r.int(8)) {
    case 0:
      return String(r.int(2000) - 1000);
    case 1:
      return r.pick(["true", "false", "yes", "off", "1", "maybe", "", "65536", "1e3", "0x10"]);
    case 2:
      return `$${r.pick(NAMES)}${r.chance(0.5) ? `\${${r.pick(GROUPS)}.${r.pick(NAMES)}}` : ""}`;
    case 3:
      return r.pick(["$$", "\\$", "$", "${", "${}", "$1", "${a", "$a.b.c", '"q"', "'q"]);
    case 4:
      return Array.from({ length: r.int(20) }, () => r.text("ab,$ ", 1 + r.int(5))).join(",");
    default:
      return r.text("abc$_{}.,:=# \u00e9\u{1F600}", r.int(30));
  }
}

function fileText(r: Prng): string {
  const lines: string[] = [];
  if (r.chance(0.8)) lines.push(`[${r.pick(GROUPS)}]`);
  const n = r.int(25);
  for (let i = 0; i < n; i++) lines.push(token(r));
  return lines.join(r.pick(["\n", "\r\n", "\r", "\n\n"])) + (r.chance(0.5) ? "\n" : "");
}

function argList(r: Prng, files: string[], dir: string): string[] {
  const args: string[] = [];
  const n = r.int(8);
  for (let i = 0; i < n; i++) {
    switch (r.int(10)) {
      case 0:
        args.push("--config-file", r.pick(files));
        break;
      case 1:
        args.push(`--config-file=${r.pick(files)}`);
        break;
      case 2:
        args.push("--config-dir", r.chance(0.8) ? `${dir}/d` : r.pick(files));
        break;
      case 3:
        // A flag without its path: rarely, else it hides everything after it.
        if (r.chance(0.15)) {
          args.push(r.pick(["--config-file", "--config-dir", "--config-file=", "--config-dir="]));
        }
        break;
      case 4:
        if (r.chance(0.3)) {
          args.push(`--config-file=${r.pick([dir, `${dir}/missing.conf`, `${dir}/\0x`, ""])}`);
        }
        break;
      case 5:
        if (r.chance(0.2)) args.push(`--config-file=${dir}/${"n".repeat(r.int(5000))}`);
        break;
      case 6:
        args.push(r.text("-=abc \0\u00e9", r.int(20)).replace(/^--config-/, ""));
        break;
      default:
        args.push(r.pick(["--verbose", "-v", "--", "positional", "--config-filex", "--debug"]));
    }
  }
  return args;
}

const scenario: Scenario = {
  name: "config: fuzzed files and command lines load or fail typed, memory bounded",
  iterations: { full: 100_000, short: 1_500 },
  async run({ iterations }): Promise<ScenarioResult> {
    const r = new Prng(seed);
    const failures: string[] = [];
    const dir = await Deno.makeTempDir({ prefix: "fjord_chaos_config_" });
    const started = performance.now();
    let count = 0;
    let baseline = 0;
    try {
      await Deno.mkdir(`${dir}/d`);
      const files = Array.from({ length: 4 }, (_, i) => `${dir}/f${i}.conf`);
      const dirFiles = Array.from({ length: 3 }, (_, i) => `${dir}/d/${i}.conf`);
      for (; count < iterations; count++) {
        if (performance.now() - started > TIME_BOUND_MS) {
          failures.push(`seed ${seed}: stopped after ${count} iterations: time bound exceeded`);
          break;
        }
        // Rewrite a few files per iteration: 100 000 loads over changing files.
        for (const f of [r.pick(files), r.pick(dirFiles)]) {
          if (r.chance(0.05)) {
            const bytes = new Uint8Array(r.int(200)).map(() => r.int(256)); // not UTF-8
            await Deno.writeFile(f, bytes);
          } else {
            await Deno.writeTextFile(f, fileText(r));
          }
        }
        const args = argList(r, files, dir);
        const conf = new Config({ logger: QUIET });
        register(conf);
        const t0 = performance.now();
        try {
          await conf.load({ args, ...(r.chance(0.2) && { files: [r.pick(files)] }) });
          // Reading every option must work after a successful load (validated already).
          for (const { group, opt } of conf.listOpts()) conf.get(opt.name, group);
          if (r.chance(0.1)) await conf.reload();
          outcomes.ok = (outcomes.ok ?? 0) + 1;
        } catch (error) {
          const name = error instanceof Error ? error.name : typeof error;
          outcomes[name] = (outcomes[name] ?? 0) + 1;
          const where = `seed ${seed}, iteration ${count}`;
          if (!TYPED.some((T) => error instanceof T)) {
            failures.push(`${where}: untyped ${String(error).slice(0, 300)}`);
          } else if ((error as Error).message.length > MESSAGE_BOUND) {
            failures.push(
              `${where}: ${(error as Error).name} message of ${
                (error as Error).message.length
              } characters`,
            );
          }
        }
        const took = performance.now() - t0;
        if (took > LOAD_BOUND_MS) {
          failures.push(`seed ${seed}, iteration ${count}: one load took ${took.toFixed(0)} ms`);
        }
        if (count === Math.min(1000, Math.floor(iterations / 3))) {
          baseline = Deno.memoryUsage().rss;
        } else if (baseline > 0 && count % 1000 === 0) {
          const growth = Deno.memoryUsage().rss - baseline;
          if (growth > RSS_GROWTH_BOUND) {
            failures.push(
              `seed ${seed}, iteration ${count}: RSS grew ${(growth / 2 ** 20).toFixed(0)} MiB`,
            );
            break;
          }
        }
        if (failures.length > 20) break;
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
    return { count, failures };
  },
};

export default scenario;
