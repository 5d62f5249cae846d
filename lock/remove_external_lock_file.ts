import { getLogger } from "../runtime/logger.ts";
import { acquireLock } from "./_lock.ts";
import { checkName, lockFilePath } from "./_lock_path.ts";
import { FileLockImpl } from "./_file_lock.ts";
import { closeIdleLockFile } from "./_raw_lock_file.ts";

/**
 * Options for {@linkcode removeExternalLockFile}.
 *
 * @example
 * ```ts
 * import {
 *   removeExternalLockFile,
 *   type RemoveExternalLockFileOptions,
 * } from "@fjord/fjord/lock";
 *
 * const dir = await Deno.makeTempDir();
 * const options: RemoveExternalLockFileOptions = { lockPath: dir, lockFilePrefix: "nova" };
 * await removeExternalLockFile("never-created", options); // a missing file is ignored
 * await Deno.remove(dir);
 * ```
 */
export interface RemoveExternalLockFileOptions {
  /** The lock file name prefix. */
  lockFilePrefix?: string;
  /** The lock directory (overrides config, defaults and environment). */
  lockPath?: string;
}

/**
 * Deletes an external lock's file (oslo's `remove_external_lock_file`), while holding the
 * in-process lock for `name` so no local holder is using it. A missing file is ignored; other
 * failures are logged as a warning (`Failed to remove file <path>`) and swallowed.
 *
 * Only delete a lock file when no other process can be waiting on it: a process that opened the
 * old file and one that creates a new one would both "hold" the lock.
 *
 * @param name The lock name.
 * @param o `lockFilePrefix`, `lockPath`.
 * @returns A promise that settles once the file is gone (or the failure was logged).
 * @throws {TypeError} When `name` is not a non-empty string.
 * @throws {RangeError} When the lock file name would exceed 255 bytes.
 * @throws {LockPathRequiredError} When no lock directory is configured.
 *
 * @example
 * ```ts
 * import { externalLock, removeExternalLockFile } from "@fjord/fjord/lock";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const file = externalLock("job", { lockPath: dir });
 * await file.acquire();
 * await file.release();
 * await removeExternalLockFile("job", { lockPath: dir });
 * await assert.rejects(Deno.stat(file.path), Deno.errors.NotFound);
 * await Deno.remove(dir);
 * ```
 */
export function removeExternalLockFile(
  name: string,
  o?: RemoveExternalLockFileOptions,
): Promise<void> {
  checkName(name, "remove a lock file");
  return removeLockFile(name, lockFilePath(name, o?.lockFilePrefix, o?.lockPath, undefined));
}

async function removeLockFile(name: string, path: string): Promise<void> {
  await using _internal = await acquireLock(name, {}, false);
  // Also wait for any FileLock of this process on the same path.
  using _path = await FileLockImpl.holdPath(path);
  closeIdleLockFile(path);
  try {
    // Deno.remove() also removes an empty directory; oslo's os.remove() refuses one, as here.
    if ((await Deno.lstat(path)).isDirectory) {
      throw new Deno.errors.IsADirectory(`Is a directory: '${path}'`);
    }
    await Deno.remove(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    getLogger().warning(`Failed to remove file ${path}`, err);
  }
}
