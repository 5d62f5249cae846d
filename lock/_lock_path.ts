// Lock directory resolution (read at each call) and lock file naming.

import { confDisableProcessLocking, type Config, confLockPath } from "./_conf.ts";
import { LockPathRequiredError } from "./errors.ts";
import type { FileLockMode } from "./file_lock.ts";
import { describeValue } from "../runtime/_describe.ts";
import { optionalEnv } from "../runtime/_optional_env.ts";

/** What `setDefaults()` stored. */
export const defaults: {
  lockPath: string | undefined;
  conf: Config | undefined;
  fileLockMode: FileLockMode | undefined;
} = {
  lockPath: undefined,
  conf: undefined,
  fileLockMode: undefined,
};

/**
 * The lock directory: `lockPath`, else `[oslo_concurrency] lock_path` of `conf` (or of the
 * default conf), else `setDefaults({lockPath})`, else `FJORD_LOCK_PATH`, else `OSLO_LOCK_PATH`.
 */
export function findLockDir(lockPath?: string, conf?: Config): string | undefined {
  if (lockPath !== undefined && lockPath !== "") return lockPath;
  const c = conf ?? defaults.conf;
  if (c !== undefined) {
    const v = confLockPath(c);
    if (v !== undefined) return v;
  }
  return defaults.lockPath ?? optionalEnv("FJORD_LOCK_PATH") ?? optionalEnv("OSLO_LOCK_PATH");
}

/** `[oslo_concurrency] disable_process_locking` of `conf` or the default conf. */
export function processLockingDisabled(conf?: Config): boolean {
  const c = conf ?? defaults.conf;
  return c !== undefined && confDisableProcessLocking(c);
}

/** Throws a TypeError unless `name` is a usable lock name. */
export function checkName(name: unknown, what: string): asserts name is string {
  if (typeof name !== "string" || name === "") {
    throw new TypeError(
      `Cannot ${what} as 'name' must be a non-empty string: current value is ${
        describeValue(name)
      }`,
    );
  }
}

/** Throws a TypeError unless `prefix` is a string (lockWithPrefix / synchronizedWithPrefix). */
export function checkPrefix(prefix: unknown, what: string): asserts prefix is string {
  if (typeof prefix !== "string") {
    throw new TypeError(
      `Cannot ${what} as 'prefix' must be a string: current value is ${describeValue(prefix)}`,
    );
  }
}

/**
 * The lock file's name: `/` (and `\` on Windows) become `_`; a prefix gets `-` unless it ends
 * with one; a bare `.` or `..` (which would name a directory) becomes `_.` / `_..`; NUL becomes
 * `_`. The result is always one path component inside the lock directory.
 */
export function lockFileName(name: string, prefix: string | undefined): string {
  let file = safeComponent(name);
  if (prefix !== undefined && prefix !== "") {
    const p = safeComponent(prefix);
    file = (p.endsWith("-") ? p : p + "-") + file;
  }
  if (file === "." || file === "..") file = "_" + file;
  return file;
}

const WINDOWS = Deno.build.os === "windows";
const SEPARATORS = WINDOWS ? /[/\\\0]/g : /[/\0]/g;

// `s` with separators and NUL replaced by `_`. A process's first lock builds its file name
// while the code is cold, when a regular expression's first use costs ~0.1 ms: most names
// have nothing to replace, which two scans tell.
function safeComponent(s: string): string {
  if (!s.includes("/") && !s.includes("\0") && !(WINDOWS && s.includes("\\"))) return s;
  return s.replace(SEPARATORS, "_");
}

// Typed options arrive untyped from JavaScript: name the option rather than fail inside
// String.prototype.includes.
function checkString(name: string, option: string, value: unknown): void {
  if (value === undefined || typeof value === "string") return;
  throw new TypeError(
    `Cannot use lock '${name.slice(0, 40)}' as '${option}' must be a string: current value is ${
      describeValue(value)
    }`,
  );
}

const NAME_MAX = 255;
const encoder = new TextEncoder();

/**
 * `<dir>/<file name>`, resolving the directory (may throw LockPathRequiredError); a file name
 * longer than 255 bytes throws a RangeError.
 */
export function lockFilePath(
  name: string,
  prefix: string | undefined,
  lockPath: string | undefined,
  conf: Config | undefined,
): string {
  const dir = findLockDir(lockPath, conf);
  // The same lock is usually taken again and again: its last path is reused, the same string
  // (whose hash the Maps keyed by path have already computed).
  const last = recent.get(name);
  if (last !== undefined && last.prefix === prefix && last.dir === dir) return last.path;
  const path = buildPath(name, prefix, dir);
  if (recent.size >= RECENT_MAX) recent.clear();
  recent.set(name, { prefix, dir, path });
  return path;
}

const RECENT_MAX = 256;
const recent = new Map<
  string,
  { prefix: string | undefined; dir: string | undefined; path: string }
>();

function buildPath(name: string, prefix: string | undefined, dir: string | undefined): string {
  // Here, not at every call: a value that is no string is never the cached one.
  checkString(name, "lockFilePrefix", prefix);
  checkString(name, "lockPath", dir);
  const file = lockFileName(name, prefix);
  // A C string ends at NUL: opened through FFI (fcntl mode), "<dir>/locks\0x" locked the file
  // "<dir>/locks" for every name under that directory. (The name and prefix have NUL replaced.)
  if (dir?.includes("\0")) {
    throw new TypeError(
      `Cannot use lock '${
        name.slice(0, 40)
      }' as 'lockPath' must not contain a NUL character: current value is ${describeValue(dir)}`,
    );
  }
  // NAME_MAX is 255 bytes on Linux and macOS; a UTF-16 unit is at most 3 UTF-8 bytes.
  if (file.length > 85) {
    const bytes = encoder.encode(file).length;
    if (bytes > NAME_MAX) {
      throw new RangeError(
        `Cannot use lock '${name.slice(0, 40)}…' as its lock file name must be at most ` +
          `${NAME_MAX} bytes: current length is ${bytes} bytes`,
      );
    }
  }
  if (dir === undefined) throw new LockPathRequiredError();
  const sep = WINDOWS ? "\\" : "/";
  const base = dir.endsWith("/") || dir.endsWith(sep) ? dir : dir + sep;
  return base + file;
}
