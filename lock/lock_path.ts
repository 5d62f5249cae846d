import type { Config } from "./_conf.ts";
import { checkMode } from "./_lock_file.ts";
import { defaults, findLockDir } from "./_lock_path.ts";
import { checkConfigOption } from "../runtime/_check_options.ts";
import { describeValue } from "../runtime/_describe.ts";
import type { FileLockMode } from "./file_lock.ts";

/**
 * Options for {@linkcode setDefaults}.
 *
 * @example
 * ```ts
 * import { getLockPath, type LockDefaults, setDefaults } from "@fjord/fjord/lock";
 * import assert from "node:assert/strict";
 *
 * const defaults: LockDefaults = { lockPath: "/run/app/locks" };
 * setDefaults(defaults);
 * assert.equal(getLockPath(), "/run/app/locks");
 * setDefaults({ lockPath: undefined });
 * ```
 */
export interface LockDefaults {
  /** The lock directory used when neither the call nor a config names one. */
  lockPath?: string | undefined;
  /** The process-wide default {@linkcode Config} locks read `[oslo_concurrency]` from. */
  conf?: Config | undefined;
  /**
   * The file lock mode of external locks that do not name one: `"flock"` (the default) or
   * `"fcntl"` (lockf-compatible, shares locks with Python oslo.concurrency; needs `--allow-ffi`).
   * Set it once at start-up, before any external lock is taken: processes (and this process's
   * holders) using different modes on one file do not exclude each other.
   */
  fileLockMode?: FileLockMode | undefined;
}

/**
 * Sets process-wide lock defaults (oslo's `lockutils.set_defaults`). Only the keys present are
 * changed; a key set to `undefined` clears that default.
 *
 * @param o The defaults to set.
 * @throws {TypeError} When `lockPath` is not a string or `fileLockMode` is not `"flock"` or
 *   `"fcntl"`.
 *
 * @example
 * ```ts
 * import { getLockPath, setDefaults } from "@fjord/fjord/lock";
 * import assert from "node:assert/strict";
 *
 * setDefaults({ lockPath: "/tmp/my-service-locks" });
 * assert.equal(getLockPath(), "/tmp/my-service-locks");
 * setDefaults({ lockPath: undefined });
 * ```
 */
export function setDefaults(o: LockDefaults): void {
  if (o === null || typeof o !== "object") {
    throw new TypeError(
      `Cannot set lock defaults as 'o' must be an object: current value is ${describeValue(o)}`,
    );
  }
  if ("lockPath" in o) {
    if (o.lockPath !== undefined && typeof o.lockPath !== "string") {
      throw new TypeError(
        `Cannot set lock defaults as 'lockPath' must be a string: current value is ${
          describeValue(o.lockPath)
        }`,
      );
    }
    defaults.lockPath = o.lockPath === "" ? undefined : o.lockPath;
  }
  if ("conf" in o) {
    // Accepted silently, a bad one broke every external lock taken after it.
    checkConfigOption(o.conf, "set lock defaults");
    defaults.conf = o.conf;
  }
  if ("fileLockMode" in o) {
    checkMode(o.fileLockMode, "set lock defaults");
    defaults.fileLockMode = o.fileLockMode;
  }
}

/**
 * The lock directory external locks would use right now, resolved as at each lock call:
 * `[oslo_concurrency] lock_path` of `conf` (or of `setDefaults({conf})`), else
 * `setDefaults({lockPath})`, else the `FJORD_LOCK_PATH`, else the `OSLO_LOCK_PATH` environment
 * variable (unset without `--allow-env`). Registers the `[oslo_concurrency]` options on `conf`.
 *
 * @param conf The config to read (defaults to `setDefaults({conf})`'s).
 * @returns The directory, or `undefined` when none is configured.
 *
 * @example
 * ```ts
 * import { getLockPath, setDefaults } from "@fjord/fjord/lock";
 * import assert from "node:assert/strict";
 *
 * setDefaults({ lockPath: "/var/lib/app/locks" });
 * assert.equal(getLockPath(), "/var/lib/app/locks");
 * setDefaults({ lockPath: undefined });
 * ```
 */
export function getLockPath(conf?: Config): string | undefined {
  checkConfigOption(conf, "get the lock path");
  return findLockDir(undefined, conf);
}
