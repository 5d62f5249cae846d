// One open lock file as FileLockImpl drives it, in either file lock mode.

import { sameClassError } from "../runtime/_same_class_error.ts";
import { describeValue } from "../runtime/_describe.ts";
import { openFcntlLockFile, openRawFlockFile } from "./_raw_lock_file.ts";
import { defaults } from "./_lock_path.ts";
import type { FileLockMode } from "./file_lock.ts";

/** An open lock file: try, wait, unlock, give back. */
export interface LockFile {
  /** Whether {@linkcode LockFile.lock} may be used (else the caller polls tryLock). */
  readonly canBlock: boolean;
  /** One non-blocking attempt: `true` once held. Throws on I/O errors. */
  tryLock(): boolean;
  /** Waits in the kernel until held. Cannot be cancelled. */
  lock(): Promise<void>;
  /** Unlocks and gives the file up (closed, or kept for reuse); the unlock is the last step. */
  release(): void;
  /** Gives up a file this holder did not lock (closed, or kept for reuse). */
  close(): void;
}

function permissionHint(path: string, err: unknown): unknown {
  if (
    err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied
  ) {
    const dir = path.slice(0, Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")));
    return sameClassError(
      err,
      (m) =>
        `Cannot open lock file '${path}': ${m}. The lock directory '${dir}' must be ` +
        `writable: run with --allow-write=${dir} and check its owner and mode`,
    );
  }
  return err;
}

function openFsFile(path: string): Deno.FsFile {
  const opts: Deno.OpenOptions = { write: true, create: true };
  try {
    return Deno.openSync(path, opts);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw permissionHint(path, err);
  }
  // The directory is missing: create it (0700 for the directories created) and retry once.
  const dir = path.slice(0, Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")));
  try {
    Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
    return Deno.openSync(path, opts);
  } catch (err) {
    throw permissionHint(path, err);
  }
}

// "flock" mode without a raw fd (see openLockFile): Deno.FsFile.lock/tryLock are flock(2) on
// Unix. The lock belongs to the open file description, so two opens in one process exclude each
// other and closing one never drops another's lock. The file is a Deno resource, so it is closed
// at every release (a cached one would outlive the caller's test and trip the resource
// sanitizer).
class FlockLockFile implements LockFile {
  readonly canBlock = true;
  #file: Deno.FsFile;
  constructor(file: Deno.FsFile) {
    this.#file = file;
  }
  tryLock(): boolean {
    return this.#file.tryLockSync(true);
  }
  lock(): Promise<void> {
    return this.#file.lock(true);
  }
  release(): void {
    // Closing the only descriptor of its open file description drops the flock lock: one
    // syscall instead of unlock + close, and the unlock is the last step.
    this.#file.close();
  }
  close(): void {
    this.#file.close();
  }
}

/** The mode a lock uses: the option, else `setDefaults({fileLockMode})`, else `"flock"`. */
export function resolveMode(mode: FileLockMode | undefined): FileLockMode {
  return mode ?? defaults.fileLockMode ?? "flock";
}

/** Throws the TypeError for a bad `fileLockMode` option. */
export function checkMode(mode: unknown, what: string): asserts mode is FileLockMode | undefined {
  if (mode === undefined || mode === "flock" || mode === "fcntl") return;
  throw new TypeError(
    `Cannot ${what} as 'fileLockMode' must be "flock" or "fcntl": current value is ${
      describeValue(mode)
    }`,
  );
}

/**
 * Opens the lock file of `path` in `mode`; the caller holds the in-process path mutex. "flock"
 * locks through a raw fd kept open between acquisitions where FFI is granted (the same flock(2)
 * lock, without an open and a close per acquisition), else through a Deno.FsFile.
 */
export function openLockFile(path: string, mode: FileLockMode): LockFile {
  if (mode === "fcntl") return openFcntlLockFile(path);
  return openRawFlockFile(path) ?? new FlockLockFile(openFsFile(path));
}
