/**
 * {@linkcode ProcessLimits}: resource limits {@linkcode execute} applies to the child only.
 *
 * @module
 */

/**
 * Resource limits for one command, applied to the child only (soft = hard), through util-linux
 * `prlimit` when it is installed, else a `/bin/sh` `ulimit` wrapper for the limits that map.
 * Every value is a non-negative integer; bytes unless noted.
 *
 * @example
 * ```ts
 * import { execute, type ProcessLimits } from "@fjord/fjord/process";
 * import assert from "node:assert/strict";
 *
 * const prlimit: ProcessLimits = { numberFiles: 77 };
 * const { stdout } = await execute("ulimit -n", { shell: true, prlimit });
 * assert.equal(stdout, "77\n");
 * ```
 */
export interface ProcessLimits {
  /** `RLIMIT_AS`: address space, bytes (`prlimit --as`). */
  addressSpace?: number;
  /** `RLIMIT_CORE`: core file size, bytes (`--core`). */
  coreFileSize?: number;
  /** `RLIMIT_CPU`: CPU time, **seconds** (`--cpu`). */
  cpuTime?: number;
  /** `RLIMIT_DATA`: data segment size, bytes (`--data`). */
  dataSize?: number;
  /** `RLIMIT_FSIZE`: largest file the child may write, bytes (`--fsize`). */
  fileSize?: number;
  /** `RLIMIT_MEMLOCK`: locked memory, bytes (`--memlock`). */
  memoryLocked?: number;
  /** `RLIMIT_NOFILE`: open files, count (`--nofile`). */
  numberFiles?: number;
  /** `RLIMIT_NPROC`: processes of the user, count (`--nproc`). */
  numberProcesses?: number;
  /** `RLIMIT_RSS`: resident set size, bytes (`--rss`). */
  residentSetSize?: number;
  /** `RLIMIT_STACK`: stack size, bytes (`--stack`). */
  stackSize?: number;
}
