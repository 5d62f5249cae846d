import type { Config } from "./_conf.ts";
import { FileLockImpl } from "./_file_lock.ts";
import { checkMode, resolveMode } from "./_lock_file.ts";
import { checkName, lockFilePath } from "./_lock_path.ts";
import type { Clock } from "../runtime/clock.ts";
import { checkConfigOption } from "../runtime/_check_options.ts";

/**
 * How external locks lock their file.
 *
 * - `"flock"` (the default): `flock(2)`. Needs only `--allow-read`/`--allow-write` on the lock
 *   directory: the file is opened and locked through `Deno.FsFile` per acquisition. With
 *   `--allow-ffi` granted at start (outside Workers), libc's `flock` is called on a descriptor kept
 *   open between acquisitions instead (closed after 2 s unused), saving an open and a close per
 *   acquisition; it is the same lock, so both kinds of process exclude each other. Python's
 *   oslo.concurrency does not see these locks (it uses `fcntl.lockf`).
 * - `"fcntl"`: POSIX record locks on the whole file through libc's `fcntl()` over FFI, the locks
 *   Python's `fcntl.lockf` takes, so fjord and oslo.concurrency services sharing a `lock_path`
 *   exclude each other. Needs `--allow-ffi`; Linux only. Linux open-file-description locks are
 *   used: they conflict with Python's lockf locks, yet belong to their open file like flock
 *   locks, so closing another descriptor of the file never drops them. The lock file stays open
 *   between acquisitions (closed after 2 s unused), which also makes this mode the faster one.
 *
 * Every process (and every holder in a process) must use the same mode on a given file: a flock
 * lock and a record lock do not exclude each other.
 *
 * @example
 * ```ts
 * import { type FileLockMode, lock } from "@fjord/fjord/lock";
 *
 * const dir = await Deno.makeTempDir();
 * // Shares the lock with Python services running lockutils.lock("db", external=True).
 * const mode: FileLockMode = "fcntl";
 * {
 *   await using _held = await lock("db", { external: true, lockPath: dir, fileLockMode: mode });
 * }
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export type FileLockMode = "flock" | "fcntl";

/**
 * Options for {@linkcode externalLock}.
 *
 * @example
 * ```ts
 * import { externalLock, type ExternalLockOptions } from "@fjord/fjord/lock";
 * import assert from "node:assert/strict";
 *
 * const options: ExternalLockOptions = { lockPath: "/tmp/locks", lockFilePrefix: "nova" };
 * assert.equal(externalLock("a/b", options).path, "/tmp/locks/nova-a_b");
 * ```
 */
export interface ExternalLockOptions {
  /** The lock file name prefix (`"nova"` → `nova-<name>`). */
  lockFilePrefix?: string;
  /** The lock directory (overrides config, defaults and environment). */
  lockPath?: string;
  /** The config whose `[oslo_concurrency] lock_path` applies. */
  conf?: Config;
  /**
   * `"flock"` or `"fcntl"` (Python-compatible, needs `--allow-ffi`); default:
   * `setDefaults({fileLockMode})`, else `"flock"`. See {@linkcode FileLockMode}.
   */
  fileLockMode?: FileLockMode;
}

/**
 * An inter-process file lock on `<lockPath>/<prefix-name>`, not yet acquired (oslo's
 * `external_lock`). The file lock alone does not take the in-process name lock of
 * {@linkcode lock}, but two FileLocks on one path in one process still exclude each other.
 *
 * @param name The lock name; `/` becomes `_` and the file always stays inside the directory.
 * @param o `lockFilePrefix`, `lockPath`, `conf`, `fileLockMode`.
 * @returns The unacquired {@linkcode FileLock}.
 * @throws {TypeError} When `name` is not a non-empty string or `fileLockMode` is unknown.
 * @throws {RangeError} When the lock file name would exceed 255 bytes.
 * @throws {LockPathRequiredError} When no lock directory is configured.
 *
 * @example
 * ```ts
 * import { externalLock } from "@fjord/fjord/lock";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * {
 *   await using file = externalLock("jobs/daily", { lockPath: dir, lockFilePrefix: "cron" });
 *   assert.equal(file.path, `${dir}/cron-jobs_daily`);
 *   assert.equal(await file.acquire(), true);
 *   assert.equal(file.acquired, true);
 * }
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function externalLock(name: string, o?: ExternalLockOptions): FileLock {
  checkName(name, "make an external lock");
  checkMode(o?.fileLockMode, "make an external lock");
  checkConfigOption(o?.conf, "make an external lock");
  return new FileLockImpl(
    lockFilePath(name, o?.lockFilePrefix, o?.lockPath, o?.conf),
    resolveMode(o?.fileLockMode),
  );
}

/**
 * Options for {@linkcode FileLock.acquire}.
 *
 * @example
 * ```ts
 * import { externalLock, type FileLockAcquireOptions } from "@fjord/fjord/lock";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const options: FileLockAcquireOptions = { timeout: 1_000 };
 * await using file = externalLock("job", { lockPath: dir });
 * assert.equal(await file.acquire(options), true);
 * await file.release();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface FileLockAcquireOptions {
  /** `false`: try once and resolve `false` if another holder has it. Default `true`. */
  blocking?: boolean;
  /** Gives up waiting: rejects with `signal.reason`, nothing stays held. */
  signal?: AbortSignal;
  /** Gives up after this many milliseconds with a `TimeoutError` DOMException. */
  timeout?: number;
  /** The clock the timeout and the polling sleeps are measured on. Default `systemClock`. */
  clock?: Clock;
}

/**
 * An advisory, inter-process file lock (oslo's `InterProcessLock`), from `externalLock()`.
 * The lock file is created when first acquired and never deleted by locking; a holder that dies
 * releases it (the kernel drops its locks). Acquiring again while this FileLock holds the lock
 * rejects with an Error; two FileLocks on one path in one process exclude each other.
 *
 * @example
 * ```ts
 * import { externalLock } from "@fjord/fjord/lock";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const a = externalLock("job", { lockPath: dir });
 * const b = externalLock("job", { lockPath: dir });
 * assert.equal(await a.acquire(), true);
 * assert.equal(await b.acquire({ blocking: false }), false);
 * await a.release();
 * assert.equal(await b.acquire({ timeout: 1_000 }), true);
 * await b.release();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface FileLock extends AsyncDisposable {
  /** The lock file's path. */
  readonly path: string;
  /** Whether this FileLock currently holds the lock. */
  readonly acquired: boolean;
  /**
   * Acquires the lock.
   *
   * @param o `blocking`, `signal`, `timeout` (ms), `clock`.
   * @returns `true` once held; `false` only with `blocking: false` when held elsewhere.
   */
  acquire(o?: FileLockAcquireOptions): Promise<boolean>;
  /** Releases the lock (unlock, close); a no-op when not held. */
  release(): Promise<void>;
}
