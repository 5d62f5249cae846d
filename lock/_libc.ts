// The few libc calls the "fcntl" file lock mode needs, bound lazily through Deno.dlopen (so
// importing lock/ never asks for --allow-ffi; only the first fcntl-mode lock does).
//
// Linux only: the constants and the `struct flock` / `struct stat` offsets below are those of
// glibc and musl on x86_64 and aarch64 (identical for the fields used here).

import { sameClassError } from "../runtime/_same_class_error.ts";
import { permitted } from "../runtime/_permitted.ts";
import { inWorker } from "../runtime/_in_worker.ts";

/** `F_OFD_GETLK`, `F_OFD_SETLK`, `F_OFD_SETLKW` (Linux >= 3.15). */
export const F_OFD_SETLK = 37;
export const F_OFD_SETLKW = 38;
/** `l_type` values. */
export const F_WRLCK = 1;
export const F_UNLCK = 2;
/** flock(2) operations. */
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;

const O_WRONLY = 0o1;
const O_CREAT = 0o100;
const O_APPEND = 0o2000;
const O_CLOEXEC = 0o2000000;
/** oslo opens lock files with `open(path, "a")`: create, never truncate, never write. */
export const LOCK_FILE_FLAGS: number = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC;

export const EINTR = 4;
export const ENOENT = 2;
export const EACCES = 13;
export const EAGAIN = 11;
export const EINVAL = 22;

/** sizeof(struct flock) on 64-bit Linux; l_type is the first short, l_whence the second. */
export const FLOCK_SIZE = 32;
/** Large enough for struct stat on x86_64 (144) and aarch64 (128). */
export const STAT_SIZE = 256;

// Unless bound at import (FAST below), the functions are resolved with dlsym on first use and
// called through Deno.UnsafeFnPointer, and the DynamicLibrary is closed at once: libc stays mapped (the process itself links it), and an open
// DynamicLibrary is a Deno resource that the test resource sanitizer would report as leaked by
// whichever test took the first fcntl-mode lock. (A pointer call costs ~1 us more than a
// DynamicLibrary symbol's fast call; three per acquisition.)
const DEFS = {
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  fcntl: { parameters: ["i32", "i32", "buffer"], result: "i32" },
  flock: { parameters: ["i32", "i32"], result: "i32" },
  fstat: { parameters: ["i32", "buffer"], result: "i32" },
  stat: { parameters: ["buffer", "buffer"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

type Ptr = Deno.PointerValue;

/** The bound functions. `stat`/`fstat` are null where libc does not export them (glibc < 2.33). */
export interface Libc {
  open(path: Uint8Array<ArrayBuffer>, flags: number, mode: number): number;
  close(fd: number): number;
  fcntl(fd: number, cmd: number, arg: Uint8Array<ArrayBuffer>): number;
  /** fcntl on Deno's blocking thread pool (for F_OFD_SETLKW): the event loop keeps running. */
  fcntlBlocking(fd: number, cmd: number, arg: Uint8Array<ArrayBuffer>): Promise<number>;
  flock(fd: number, op: number): number;
  /** flock on Deno's blocking thread pool (for a waiting LOCK_EX). */
  flockBlocking(fd: number, op: number): Promise<number>;
  fstat: ((fd: number, buf: Uint8Array<ArrayBuffer>) => number) | null;
  stat: ((path: Uint8Array<ArrayBuffer>, buf: Uint8Array<ArrayBuffer>) => number) | null;
  errnoLocation(): Ptr;
}

let lib: Libc | undefined;

// The lock calls of every acquisition (and errno, and the stat after a wait) are ~1 us each
// through an UnsafeFnPointer, several when still cold, but ~0.3 us as DynamicLibrary fast calls.
// When FFI is already granted at import (so no prompt), every function is bound that way here,
// before any test of the importing program starts: the library then stays open for the process's
// life without being "opened during a test", and the first lock binds nothing (binding through
// dlsym costs ~1 ms, which a program's first lock would otherwise pay). Costs 2-3 ms of start-up
// (a `deno run` importing only this file: 14.6 ms against 11.5-12.5 for an empty script, with
// -A), only in programs run with --allow-ffi. A Web Worker binds at its first "fcntl"-mode lock
// instead: the test sanitizer does not see a Worker's resources, and every Worker that imports
// fjord would pay the binding at its start (22.3 ms against 19.3-19.6 to start one, measured).
const FAST = {
  open: DEFS.open,
  close: DEFS.close,
  fcntl: DEFS.fcntl,
  fcntlBlocking: { name: "fcntl", ...DEFS.fcntl, nonblocking: true },
  flock: DEFS.flock,
  flockBlocking: { name: "flock", ...DEFS.flock, nonblocking: true },
  fstat: { ...DEFS.fstat, optional: true },
  stat: { ...DEFS.stat, optional: true },
  __errno_location: DEFS.__errno_location,
} as const;
let fast: Deno.DynamicLibrary<typeof FAST> | undefined;

// Every function as a fast call, when FFI is granted (no prompt); the library stays open.
function bindFast(): Libc | undefined {
  try {
    if (Deno.build.os !== "linux" || !permitted({ name: "ffi" })) return undefined;
    fast = Deno.dlopen("libc.so.6", FAST);
    // The symbols object too (its first access costs ~0.1 ms with the code still cold).
    const f = fast.symbols;
    return {
      open: f.open,
      close: f.close,
      fcntl: f.fcntl,
      fcntlBlocking: f.fcntlBlocking,
      flock: f.flock,
      flockBlocking: f.flockBlocking,
      fstat: f.fstat,
      stat: f.stat,
      errnoLocation: f.__errno_location,
    };
  } catch {
    // Not glibc, or no permission API here: the slower binding on first use still works.
    return undefined;
  }
}

if (!inWorker) lib = bindFast();

/** The error when FFI is not permitted: names the flag to add. */
function ffiPermissionError(err: Error): Error {
  return sameClassError(
    err,
    (m) =>
      `fileLockMode "fcntl" locks through libc's fcntl() over FFI: run with --allow-ffi (${m})`,
  );
}

const DLSYM = { dlsym: { parameters: ["pointer", "buffer"], result: "pointer" } } as const;

function bind(dl: Deno.DynamicLibrary<typeof DLSYM>): Libc {
  // `never`: a dlsym result carries no signature; each UnsafeFnPointer below declares its own.
  const ptr = (name: string): Deno.PointerObject<never> | null =>
    dl.symbols.dlsym(null, new TextEncoder().encode(name + "\0")) as
      | Deno.PointerObject<never>
      | null;
  const must = (name: string): Deno.PointerObject<never> => {
    const p = ptr(name);
    if (p === null) throw new Error(`fileLockMode "fcntl": libc has no ${name}()`);
    return p;
  };
  const open = new Deno.UnsafeFnPointer(must("open"), DEFS.open);
  const close = new Deno.UnsafeFnPointer(must("close"), DEFS.close);
  const fcntlP = must("fcntl");
  const fcntl = new Deno.UnsafeFnPointer(fcntlP, DEFS.fcntl);
  const blocking = new Deno.UnsafeFnPointer(fcntlP, { ...DEFS.fcntl, nonblocking: true });
  const flockP = must("flock");
  const flock = new Deno.UnsafeFnPointer(flockP, DEFS.flock);
  const flockBlocking = new Deno.UnsafeFnPointer(flockP, { ...DEFS.flock, nonblocking: true });
  const errnoLoc = new Deno.UnsafeFnPointer(must("__errno_location"), DEFS.__errno_location);
  const fstatP = ptr("fstat");
  const statP = ptr("stat");
  const fstat = fstatP === null ? null : new Deno.UnsafeFnPointer(fstatP, DEFS.fstat);
  const stat = statP === null ? null : new Deno.UnsafeFnPointer(statP, DEFS.stat);
  return {
    open: (path, flags, mode) => open.call(path, flags, mode),
    close: (fd) => close.call(fd),
    fcntl: (fd, cmd, arg) => fcntl.call(fd, cmd, arg),
    fcntlBlocking: (fd, cmd, arg) => blocking.call(fd, cmd, arg),
    flock: (fd, op) => flock.call(fd, op),
    flockBlocking: (fd, op) => flockBlocking.call(fd, op),
    fstat: fstat === null ? null : (fd, buf) => fstat.call(fd, buf),
    stat: stat === null ? null : (path, buf) => stat.call(path, buf),
    errnoLocation: () => errnoLoc.call(),
  };
}

/**
 * libc, bound on first use.
 *
 * @throws {Deno.errors.NotCapable} Without `--allow-ffi` (the message names the flag).
 * @throws {Error} On an OS other than Linux.
 */
export function libc(): Libc {
  if (lib !== undefined) return lib;
  if (inWorker && (lib = bindFast()) !== undefined) return lib;
  if (Deno.build.os !== "linux") {
    throw new Error(
      `fileLockMode "fcntl" is implemented for Linux only (this is ${Deno.build.os}); ` +
        `use the default "flock" mode`,
    );
  }
  let last: unknown;
  // glibc first; musl's libc answers to its own name.
  for (const name of ["libc.so.6", `libc.musl-${Deno.build.arch}.so.1`, "libc.so"]) {
    let dl: Deno.DynamicLibrary<typeof DLSYM>;
    try {
      dl = Deno.dlopen(name, DLSYM);
    } catch (err) {
      if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
        throw ffiPermissionError(err);
      }
      last = err;
      continue;
    }
    try {
      lib = bind(dl);
      return lib;
    } finally {
      dl.close();
    }
  }
  throw new Error(`fileLockMode "fcntl" could not open libc`, { cause: last });
}

/** errno of the last failed synchronous call on this thread. */
export function errno(c: Libc): number {
  if (errnoView === undefined) {
    const p = c.errnoLocation();
    if (p === null) return 0;
    // errno has a fixed address per thread, and an isolate's JavaScript always runs on the one
    // thread it was created on: looked up once, then read in place (no call, no allocation).
    errnoView = new Deno.UnsafePointerView(p);
  }
  return errnoView.getInt32();
}

let errnoView: Deno.UnsafePointerView | undefined;

/** A NUL-terminated path for the C calls. */
export function cPath(path: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(path + "\0");
}

const encoder = new TextEncoder();

/**
 * libc when FFI was granted when this module loaded (no prompt can appear), else `undefined`:
 * lets the default "flock" mode use raw fds, which it may keep open between acquisitions.
 */
export function grantedLibc(): Libc | undefined {
  return fast === undefined ? undefined : lib;
}
