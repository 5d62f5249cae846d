// A lock file held through a raw libc fd, kept open between acquisitions, in either mode:
//  - "fcntl": POSIX record locks on the whole file, the kind Python's fcntl.lockf takes
//    (oslo.concurrency / fasteners' InterProcessLock), so a Deno and a Python service on one
//    lock_path exclude each other. flock(2) locks and record locks do not see each other on Linux.
//  - "flock": flock(2), the lock Deno.FsFile.lock takes (so it excludes fjord processes without
//    --allow-ffi, which lock through Deno.FsFile). Used in the default mode when FFI was granted
//    at start (no prompt), outside Workers: a Deno.FsFile kept open would be a resource the test
//    sanitizers report, a raw fd is not.
//
// Linux "open file description" record locks (F_OFD_SETLK, Linux >= 3.15) are used rather than
// the classic process-associated ones: the kernel makes the two kinds conflict with each other,
// so Python's lockf still sees ours, but an OFD lock belongs to its open file like a flock lock.
// That removes the classic caveats: closing some other fd of the file does not drop our lock,
// and two Workers of one process exclude each other instead of sharing the process's lock.
//
// Cost: one open() per acquisition dominated the uncontended path, so the fd is kept open per
// path and reused (at most one user per path per isolate: the caller holds the in-process path
// mutex). An idle fd is closed after IDLE_MS, timed with quietDelay (an Atomics.waitAsync
// timeout): that timer neither keeps the process alive nor counts as a pending op or resource for
// Deno's test sanitizers (the fd is a raw libc fd, not a Deno resource). Each acquisition checks,
// after locking, that the path still names the locked inode (a lock file deleted and recreated by
// someone else must not be "held" through a stale fd) and reopens it if not. An idle fd is
// unlocked: it never holds a lock, in either mode, so one cache serves both.
//
// Waiting: a non-blocking try first; then the blocking call (F_OFD_SETLKW, flock LOCK_EX) on
// Deno's blocking thread pool (a nonblocking FFI call), woken by the kernel the moment the holder
// unlocks or dies. Such a call cannot be cancelled, so with a timeout or signal the caller polls
// instead, and inside Workers (a terminated Worker cannot close a raw fd, so a late grant would
// stay held until the process exits) fds are neither cached nor waited on in the kernel.
//
// A Worker fjord terminates (or that dies of an uncaught error) cannot close its raw fds either,
// and an fd left open keeps its lock held for every process (Python services included) until
// this one exits. So each fd opened in a fjord Worker is recorded in shared memory with the
// Worker's isolate id, and the isolate that frees dead isolates closes the fds they left
// (_worker_fds.ts, like the cross-Worker lock slots in _shared_lock_table.ts).

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
  grantedLibc,
  type Libc,
  libc,
  LOCK_EX,
  LOCK_FILE_FLAGS,
  LOCK_NB,
  LOCK_UN,
  STAT_SIZE,
} from "./_libc.ts";
import type { LockFile } from "./_lock_file.ts";
import { quietDelay } from "../runtime/_quiet_delay.ts";
import { inWorker } from "../runtime/_in_worker.ts";
import { forgetWorkerFd, recordWorkerFd } from "./_worker_fds.ts";

/** An idle fd is closed after this long unused. */
export const IDLE_MS = 2_000;
/** At most this many fds stay cached; the least recently used idle one is closed first. */
const MAX_IDLE = 64;

interface OpenFd {
  fd: number;
  dev: bigint;
  ino: bigint;
  /** The path, NUL-terminated, encoded once (encoding costs more than the stat call). */
  cpath: Uint8Array<ArrayBuffer>;
  /** Its entry in the shared fd table (a fjord Worker's fd), else -1. */
  slot: number;
}

// Scratch space of the synchronous stat calls (allocating a buffer costs more than the call).
const statBuf = new Uint8Array(STAT_SIZE);
const statView = new DataView(statBuf.buffer);

// The cached open files by path, idle or in use: a file stays in the map while its user holds
// it, so taking and giving it back costs no map update. Timestamps are Date.now() (cheaper than
// performance.now() on this path); a clock stepped back counts as "long idle" (see take()).
const cache = new Map<string, RawLockFile>();
let sweepArmed = false;

function armSweep(): void {
  if (sweepArmed) return;
  sweepArmed = true;
  void quietDelay(IDLE_MS).promise.then(sweep);
}

function sweep(): void {
  sweepArmed = false;
  const now = Date.now();
  for (const [path, file] of cache) {
    if (file.inUse) continue;
    const age = now - file.since;
    if (age >= 0 && age < IDLE_MS - 1) continue;
    cache.delete(path);
    file.closeIdle();
  }
  if (cache.size > 0) armSweep();
}

function closeFd(f: OpenFd): void {
  // Already forgotten: this isolate was declared dead and its fd closed for it (the number may
  // be another file's by now).
  if (f.slot >= 0 && !forgetWorkerFd(f.slot, f.fd)) return;
  // close() failing (EINTR/EIO) still frees the descriptor on Linux; nothing to retry.
  libc().close(f.fd);
}

// The cached file of `path` when nobody uses it.
function idleFile(path: string): RawLockFile | undefined {
  const file = cache.get(path);
  return file === undefined || file.inUse ? undefined : file;
}

/** Closes the idle cached fd of `path`, if any (before the file is deleted). */
export function closeIdleLockFile(path: string): void {
  const file = idleFile(path);
  if (file === undefined) return;
  cache.delete(path);
  file.closeIdle();
}

// Caches a new file (making room and arming the sweep); false when every cached file is in use.
function cacheFile(path: string, file: RawLockFile): boolean {
  if (cache.size >= MAX_IDLE) {
    let oldest: RawLockFile | undefined;
    for (const f of cache.values()) {
      if (!f.inUse && (oldest === undefined || f.since < oldest.since)) oldest = f;
    }
    if (oldest === undefined) return false;
    cache.delete(oldest.path);
    oldest.closeIdle();
  }
  cache.set(path, file);
  if (!sweepArmed) armSweep();
  return true;
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
  // The classes Deno's own open() throws for these, so that both modes fail alike.
  const known = ERRNO_ERRORS[code];
  return known ? new known[0](`${text}: ${known[1]}`) : new Error(text);
}

const ERRNO_ERRORS: Record<number, [new (message: string) => Error, string]> = {
  [ENOENT]: [Deno.errors.NotFound, "no such file or directory"],
  20: [Deno.errors.NotADirectory, "a component of the lock path is not a directory"],
  21: [Deno.errors.IsADirectory, "the lock file is a directory"],
  23: [Error, "too many open files in the system"],
  24: [Error, "too many open files in this process"],
  28: [Error, "no space left on the device"],
  30: [Error, "read-only file system"],
  40: [Deno.errors.FilesystemLoop, "too many symbolic links"],
};

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
  return { fd, ...identity(c, fd), cpath: p, slot: inWorker ? recordWorkerFd(fd) : -1 };
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

/**
 * A lock file on a raw fd: flock(2) or OFD record locks. Between acquisitions the object itself
 * (with its fd) waits in the cache, so reuse allocates nothing.
 */
class RawLockFile implements LockFile {
  readonly canBlock: boolean = !inWorker;
  /** When it was last given back (Date.now()), while idle. */
  since = 0;
  /** Whether a user has it (between take and release/close). */
  inUse = true;
  readonly path: string;
  // Whether it is in the cache (else its fd is closed when given back).
  #cached = false;
  #c: Libc;
  #file: OpenFd | undefined;
  #locked = false;
  #flock: boolean;

  // Whether the next lock must check the path still names our file (see #sameFile).
  #check = false;

  constructor(c: Libc, path: string, file: OpenFd, flock: boolean) {
    this.#c = c;
    this.path = path;
    this.#file = file;
    this.#flock = flock;
  }

  /**
   * Takes this idle file for a new user in the given mode. A hot reuse (idle for at most ~1 ms)
   * leaves the same sub-millisecond window as oslo's open-then-lockf and skips the check that
   * the path still names the file, which would add a third to the uncontended cost.
   */
  take(flock: boolean): this {
    this.inUse = true;
    this.#flock = flock;
    const age = Date.now() - this.since;
    this.#check = age < 0 || age > 1;
    return this;
  }

  #tryOnce(): number {
    const fd = this.#fd();
    return this.#flock
      ? this.#c.flock(fd, LOCK_EX | LOCK_NB)
      : this.#c.fcntl(fd, F_OFD_SETLK, WRLCK);
  }

  #unlock(fd: number): number {
    return this.#flock ? this.#c.flock(fd, LOCK_UN) : this.#c.fcntl(fd, F_OFD_SETLK, UNLCK);
  }

  #fd(): number {
    const f = this.#file;
    if (f === undefined) throw new Error(`Lock file '${this.path}' is closed`);
    return f.fd;
  }

  tryLock(): boolean {
    const f = this.#file;
    if (f === undefined) throw new Error(`Lock file '${this.path}' is closed`);
    const r = this.#flock
      ? this.#c.flock(f.fd, LOCK_EX | LOCK_NB)
      : this.#c.fcntl(f.fd, F_OFD_SETLK, WRLCK);
    if (r === 0 && !this.#check) {
      this.#locked = true;
      return true;
    }
    return this.#tryLockAgain(r);
  }

  // tryLock past its first attempt (result `first`): the identity check, errno, retries.
  #tryLockAgain(first: number): boolean {
    // errno is read by a second FFI call; should anything on this thread touch errno between
    // the two, an unexpected value is confirmed by another attempt before it is reported.
    for (let odd = 0, r = first;; r = this.#tryOnce()) {
      if (r === 0) {
        if (this.#check && !this.#sameFile()) continue;
        this.#locked = true;
        return true;
      }
      const e = errno(this.#c);
      // flock reports a busy lock as EWOULDBLOCK (= EAGAIN), fcntl as EAGAIN or EACCES.
      if (e === EINTR || (e !== EAGAIN && e !== EACCES && ++odd < 3)) continue;
      if (e === EAGAIN || e === EACCES) {
        // The caller waits now; whatever lock it gets later is checked.
        this.#check = true;
        return false;
      }
      throw ioError("lock", this.path, e);
    }
  }

  lock(): Promise<void> {
    // Callers come here right after a failed tryLock: wait in the kernel first. A callback,
    // not an async function: the lock is held from the grant until the caller runs.
    let wait: Promise<number>;
    try {
      // The buffer must stay reachable while the pool thread reads it: a fresh one per call.
      wait = this.#flock
        ? this.#c.flockBlocking(this.#fd(), LOCK_EX)
        : this.#c.fcntlBlocking(this.#fd(), F_OFD_SETLKW, flockStruct(F_WRLCK));
    } catch (err) {
      return Promise.reject(err);
    }
    return wait.then((r) => {
      if (r === 0 && this.#sameFile()) {
        this.#locked = true;
        return;
      }
      // -1 (EINTR, or an error whose errno lives on the pool thread) or a replaced file: one
      // try here reports a lasting error with its errno.
      if (this.tryLock()) return;
      return this.lock();
    });
  }

  // Called holding the lock: true when the path still names the locked file. Otherwise the file
  // was deleted (and maybe recreated) since it was opened: unlock, reopen, and report false.
  #sameFile(): boolean {
    const f = this.#file!;
    if (this.#c.stat === null || f.ino < 0n) return true;
    if (
      this.#c.stat(f.cpath, statBuf) === 0 && statView.getBigUint64(8, true) === f.ino &&
      statView.getBigUint64(0, true) === f.dev
    ) return true;
    this.#unlock(f.fd);
    this.#file = undefined;
    closeFd(f);
    this.#file = openFd(this.#c, this.path, f.cpath);
    return false;
  }

  release(): void {
    const f = this.#file;
    if (!this.inUse) return;
    this.inUse = false;
    this.#locked = false;
    if (f === undefined) return this.#uncache(); // A failed reopen (see #sameFile) left no fd.
    // Bookkeeping first, the unlock last (see Handle's dispose in _lock.ts for why).
    const keep = this.#cached;
    if (keep) this.since = Date.now();
    for (;;) {
      const r = this.#flock
        ? this.#c.flock(f.fd, LOCK_UN)
        : this.#c.fcntl(f.fd, F_OFD_SETLK, UNLCK);
      if (r === 0) break;
      const e = errno(this.#c);
      if (e === EINTR) continue;
      // Closing the fd drops the lock that could not be unlocked.
      if (keep) this.#uncache();
      this.#file = undefined;
      closeFd(f);
      throw ioError("unlock", this.path, e);
    }
    if (!keep) {
      this.#file = undefined;
      closeFd(f);
    }
  }

  close(): void {
    const f = this.#file;
    if (!this.inUse) return;
    this.inUse = false;
    if (f === undefined) return this.#uncache();
    // Closing drops a lock still held; only an unlocked fd is kept.
    if (this.#locked || !this.#cached) {
      if (this.#cached) this.#uncache();
      this.#file = undefined;
      closeFd(f);
    } else {
      this.since = Date.now();
    }
    this.#locked = false;
  }

  /** Closes the fd of this idle file (the caller took it out of the cache). */
  closeIdle(): void {
    const f = this.#file;
    if (this.inUse || f === undefined) return;
    this.#cached = false;
    this.#file = undefined;
    closeFd(f);
  }

  /** Puts this new file in the cache, unless inside a Worker or the cache is full of users. */
  addToCache(): this {
    if (!inWorker && !cache.has(this.path)) this.#cached = cacheFile(this.path, this);
    return this;
  }

  #uncache(): void {
    this.#cached = false;
    if (cache.get(this.path) === this) cache.delete(this.path);
  }
}

// The caller holds the in-process mutex of `path`, so a cached file of `path` is idle.
function openRaw(c: Libc, path: string, flock: boolean): LockFile {
  return idleFile(path)?.take(flock) ??
    new RawLockFile(c, path, openFd(c, path), flock).addToCache();
}

/**
 * Opens (or takes from the cache) the "fcntl"-mode lock file of `path`. The caller must
 * hold the in-process mutex of `path`.
 *
 * @throws {Deno.errors.NotCapable} Without `--allow-ffi`.
 */
export function openFcntlLockFile(path: string): LockFile {
  return openRaw(libc(), path, false);
}

let flockLibc: Libc | null | undefined;

/**
 * The "flock"-mode lock file of `path` on a raw fd (opened or taken from the cache), or
 * `undefined` where that is not available (no FFI granted at start, in a Worker, not Linux, no
 * write permission on `path`, or it cannot be opened: the caller then locks through Deno.FsFile,
 * which reports the failure). The caller must hold the in-process mutex of `path`.
 */
export function openRawFlockFile(path: string): LockFile | undefined {
  if (flockLibc === undefined) flockLibc = (inWorker ? undefined : grantedLibc()) ?? null;
  if (flockLibc === null) return undefined;
  const cached = idleFile(path);
  if (cached !== undefined) return cached.take(true);
  if (Deno.permissions.querySync({ name: "write", path }).state !== "granted") {
    // FFI could open it regardless; keep to the permissions the program was given.
    return undefined;
  }
  let file: OpenFd;
  try {
    file = openFd(flockLibc, path);
  } catch {
    // Opening through Deno.FsFile reports the failure as flock mode always has.
    return undefined;
  }
  return new RawLockFile(flockLibc, path, file, true).addToCache();
}
