// Shared helpers for the config tests: temp dirs with files, and a capturing logger.

import type { ConfigLogger } from "../../config/mod.ts";

/** A temp directory that removes itself on dispose; `write` creates files in it. */
export interface TempDir extends AsyncDisposable {
  readonly path: string;
  write(name: string, text: string): Promise<string>;
}

export async function tempDir(): Promise<TempDir> {
  const path = await Deno.makeTempDir({ prefix: "fjord_config_test_" });
  return {
    path,
    async write(name: string, text: string): Promise<string> {
      const file = `${path}/${name}`;
      await Deno.writeTextFile(file, text);
      return file;
    },
    async [Symbol.asyncDispose](): Promise<void> {
      await Deno.remove(path, { recursive: true });
    },
  };
}

/**
 * Captured log lines as `LEVEL message`, and the logger to give a Config that captures them
 * (unlike captureLog() in tests/_util.ts, it replaces no global logger).
 */
export interface CapturedConfigLog {
  readonly lines: string[];
  readonly logger: ConfigLogger;
}

export function captureConfigLog(): CapturedConfigLog {
  const lines: string[] = [];
  return {
    lines,
    logger: {
      debug: (m) => lines.push(`DEBUG ${m}`),
      info: (m) => lines.push(`INFO ${m}`),
      warning: (m) => lines.push(`WARNING ${m}`),
    },
  };
}
