// The "fcntl" file lock mode: POSIX record locks on the whole file, the kind Python's
// fcntl.lockf takes (oslo.concurrency / fasteners' InterProcessLock), so a Deno and a Python
// service on one lock_path exclude each other. flock(2) locks (Deno.FsFile.lock) and record
// locks do not see each other on Linux.
//
// Linux "open file description" record locks (F_OFD_SETLK, Linux >= 3.15) are used rather than
// the classic process-associated ones: the kernel makes the two kinds conflict with each other,
// so Python's lockf still sees ours, but an OFD lock belongs to its open file like a flock lock.
// That removes the classic caveats: closing some other fd of the file does not drop our lock,
// and two Workers of one process exclude each other instead of sharing the process's lock.
//
// Cost: one open() per acquisition dominated the uncontended path, so the fd is kept open per
// path and reused (at most one user per path per isolate: the caller holds the in-process path
// mutex). An idle fd is closed after IDLE_MS, timed with Atomics.waitAsync: that timer neither
// keeps the process alive nor counts as a pending op or resource for Deno's test sanitizers (the
// fd is a raw libc fd, not a Deno resource). Each acquisition checks, after locking, that the
// path still names the locked inode (a lock file deleted and recreated by someone else must not
// be "held" through a stale fd) and reopens it if not.
//
// Waiting: F_OFD_SETLK first; then F_OFD_SETLKW on Deno's blocking thread pool (a nonblocking
// FFI call), woken by the kernel the moment the holder unlocks or dies. Such a call cannot be
// cancelled, so with a timeout or signal the caller polls instead, and inside Workers (a
// terminated Worker cannot close a raw fd, so a late grant would stay held until the process
// exits) fds are neither cached nor waited on in the kernel.

import {
  cPath,
  EACCES,
  EAGAIN,
  EINTR,
  EINVAL,
  ENOENT,
  errno,
  F_OFD_SETLK,
  F_OFD_SETLKW,
  F_UNLCK,
  F_WRLCK,
  FLOCK_SIZE,
  type Libc,
  libc,
  LOCK_FILE_FLAGS,
  STAT_SIZE,
} from "./_libc.ts";
import type { LockFile } from "./_lock_file.ts";

/** An idle fd is closed after this long unused. */
export const IDLE_MS = 2_000;
/** At most this many idle fds stay open; the least recently used is closed first. */
const MAX_IDLE = 64;

const inWorker = typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope ===
    "function" &&
  globalThis instanceof
    (globalThis as unknown as { WorkerGlobalScope: abstract new () => unknown })
      .WorkerGlobalScope;

interface OpenFd {
  fd: number;
  dev: bigint;
  ino: bigint;
  /** The path, NUL-terminated, encoded once (encoding costs more than the stat call). */
  cpath: Uint8Array<ArrayBuffer>;
}

// Scratch space of the synchronous stat calls (allocating a buffer costs more than the call).
const statBuf = new Uint8Array(STAT_SIZE);
const statView = new DataView(statBuf.buffer);

const idle = new Map<string, { file: OpenFd; since: number }>();
const sweepCell = new Int32Array(new SharedArrayBuffer(4));
let sweepArmed = false;

function armSweep(): void {
  if (sweepArmed) return;
  sweepArmed = true;
  const r = Atomics.waitAsync(sweepCell, 0, 0, IDLE_MS);
  if (r.async) r.value.then(sweep);
  else queueMicrotask(sweep);
}

function sweep(): void {
  sweepArmed = false;
  const now = performance.now();
  for (const [path, entry] of idle) {
    if (now - entry.since < IDLE_MS - 1) continue;
    idle.delete(path);
    closeFd(entry.file.fd);
  }
  if (idle.size > 0) armSweep();
}

function closeFd(fd: number): void {
  // close() failing (EINTR/EIO) still frees the descriptor on Linux; nothing to retry.
  libc().close(fd);
}

/** Closes the idle cached fd of `path`, if any (before the file is deleted). */
export function closeIdleFcntlFile(path: string): void {
  const entry = idle.get(path);
  if (entry === undefined) return;
  idle.delete(path);
  closeFd(entry.file.fd);
}

function ioError(op: string, path: string, code: number): Error {
  const text = `Cannot ${op} lock file '${path}' (errno ${code})`;
  if (code === EACCES || code === 1 /* EPERM */) {
    const dir = path.slice(0, path.lastIndexOf("/"));
    return new Deno.errors.PermissionDenied(
      `${text}: permission denied. The lock directory '${dir}' must be writable by this user`,
    );
  }
  if (code === EINVAL && op === "lock") {
    return new Error(`${text}: the kernel lacks open file description locks (Linux >= 3.15)`);
  }
  return new Error(text);
}

function identity(c: Libc, fd: number): { dev: bigint; ino: bigint } {
  if (c.fstat === null || c.fstat(fd, statBuf) !== 0) return { dev: -1n, ino: -1n };
  return { dev: statView.getBigUint64(0, true), ino: statView.getBigUint64(8, true) };
}

function openFd(c: Libc, path: string, encoded?: Uint8Array<ArrayBuffer>): OpenFd {
  const p = encoded ?? cPath(path);
  let fd = c.open(p, LOCK_FILE_FLAGS, 0o666);
  if (fd < 0 && errno(c) === ENOENT) {
    // The directory is missing: create it (0700 for the directories created) and retry once.
    const dir = path.slice(0, path.lastIndexOf("/"));
    Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fd = c.open(p, LOCK_FILE_FLAGS, 0o666);
  }
  if (fd < 0) throw ioError("open", path, errno(c));
  return { fd, ...identity(c, fd), cpath: p };
}

function flockStruct(type: number): Uint8Array<ArrayBuffer> {
  // struct flock { short l_type; short l_whence; off_t l_start; off_t l_len; pid_t l_pid; }:
  // whence SEEK_SET, start 0, len 0 = the whole file (what lockf locks), pid 0 (required by OFD).
  const b = new Uint8Array(FLOCK_SIZE);
  new DataView(b.buffer).setInt16(0, type, true);
  return b;
}

const WRLCK = flockStruct(F_WRLCK);
const UNLCK = flockStruct(F_UNLCK);

/** A lock file in "fcntl" mode: a raw fd, reused across acquisitions. */
class FcntlLockFile implements LockFile {
  readonly canBlock: boolean = !inWorker;
  #c: Libc;
  #path: string;
  #file: OpenFd | undefined;
  #locked = false;

  // Whether the next lock must check the path still names our file (see #sameFile).
  #check: boolean;

  constructor(c: Libc, path: string, file: OpenFd, check: boolean) {
    this.#c = c;
    this.#path = path;
    this.#file = file;
    this.#check = check;
  }

  #fd(): number {
    const f = this.#file;
    if (f === undefined) throw new Error(`Lock file '${this.#path}' is closed`);
    return f.fd;
  }

  tryLock(): boolean {
    // errno is read by a second FFI call; should anything on this thread touch errno between
    // the two, an unexpected value is confirmed by another attempt before it is reported.
    for (let odd = 0;;) {
      if (this.#c.fcntl(this.#fd(), F_OFD_SETLK, WRLCK) === 0) {
        if (this.#check && !this.#sameFile()) continue;
        this.#locked = true;
        return true;
      }
      const e = errno(this.#c);
      if (e === EINTR || (e !== EAGAIN && e !== EACCES && ++odd < 3)) continue;
      if (e === EAGAIN || e === EACCES) {
        // The caller waits now; whatever lock it gets later is checked.
        this.#check = true;
        return false;
      }
      throw ioError("lock", this.#path, e);
    }
  }

  async lock(): Promise<void> {
    // Callers come here right after a failed tryLock: wait in the kernel first.
    for (;;) {
      // The buffer must stay reachable while the pool thread reads it: a fresh one per call.
      const r = await this.#c.fcntlBlocking(this.#fd(), F_OFD_SETLKW, flockStruct(F_WRLCK));
      if (r === 0 && this.#sameFile()) {
        this.#locked = true;
        return;
      }
      // -1 (EINTR, or an error whose errno lives on the pool thread) or a replaced file: one
      // try here reports a lasting error with its errno.
      if (this.tryLock()) return;
    }
  }

  // Called holding the lock: true when the path still names the locked file. Otherwise the file
  // was deleted (and maybe recreated) since it was opened: unlock, reopen, and report false.
  // Checked after any wait and when an fd idle for over 1 ms is reused: a hot reuse or a fresh
  // open that locks at once leaves the same sub-millisecond window as oslo's open-then-lockf,
  // and skipping the stat there saves a third of the uncontended cost.
  #sameFile(): boolean {
    const f = this.#file!;
    if (this.#c.stat === null || f.ino < 0n) return true;
    if (
      this.#c.stat(f.cpath, statBuf) === 0 && statView.getBigUint64(8, true) === f.ino &&
      statView.getBigUint64(0, true) === f.dev
    ) return true;
    this.#c.fcntl(f.fd, F_OFD_SETLK, UNLCK);
    this.#file = undefined;
    closeFd(f.fd);
    this.#file = openFd(this.#c, this.#path, f.cpath);
    return false;
  }

  release(): void {
    const f = this.#file;
    if (f === undefined) return;
    this.#file = undefined;
    this.#locked = false;
    // Bookkeeping first, the unlock last (see Handle's dispose in _lock.ts for why).
    const keep = this.#keep();
    if (keep) idle.set(this.#path, { file: f, since: performance.now() });
    for (;;) {
      if (this.#c.fcntl(f.fd, F_OFD_SETLK, UNLCK) === 0) break;
      const e = errno(this.#c);
      if (e === EINTR) continue;
      // Closing the fd drops the lock that could not be unlocked.
      if (keep) idle.delete(this.#path);
      closeFd(f.fd);
      throw ioError("unlock", this.#path, e);
    }
    if (!keep) closeFd(f.fd);
  }

  close(): void {
    const f = this.#file;
    if (f === undefined) return;
    this.#file = undefined;
    // Closing drops a lock still held; only an unlocked fd is kept.
    if (this.#locked || !this.#keep()) closeFd(f.fd);
    else idle.set(this.#path, { file: f, since: performance.now() });
    this.#locked = false;
  }

  // Whether this fd may go to the idle cache; makes room and arms the sweep if so.
  #keep(): boolean {
    if (inWorker || idle.has(this.#path)) return false;
    if (idle.size >= MAX_IDLE) {
      const [oldest, entry] = idle.entries().next().value!;
      idle.delete(oldest);
      closeFd(entry.file.fd);
    }
    armSweep();
    return true;
  }
}

/**
 * Opens (or takes from the idle cache) the "fcntl"-mode lock file of `path`. The caller must
 * hold the in-process mutex of `path`.
 *
 * @throws {Deno.errors.NotCapable} Without `--allow-ffi`.
 */
export function openFcntlLockFile(path: string): LockFile {
  const c = libc();
  const cached = idle.get(path);
  if (cached !== undefined) {
    idle.delete(path);
    return new FcntlLockFile(c, path, cached.file, performance.now() - cached.since > 1);
  }
  return new FcntlLockFile(c, path, openFd(c, path), false);
}
