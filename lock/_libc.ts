// The few libc calls the "fcntl" file lock mode needs, bound lazily through Deno.dlopen (so
// importing lock/ never asks for --allow-ffi; only the first fcntl-mode lock does).
//
// Linux only: the constants and the `struct flock` / `struct stat` offsets below are those of
// glibc and musl on x86_64 and aarch64 (identical for the fields used here).

/** `F_OFD_GETLK`, `F_OFD_SETLK`, `F_OFD_SETLKW` (Linux >= 3.15). */
export const F_OFD_SETLK = 37;
export const F_OFD_SETLKW = 38;
/** `l_type` values. */
export const F_WRLCK = 1;
export const F_UNLCK = 2;

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

const SYMBOLS = {
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  fcntl: { parameters: ["i32", "i32", "buffer"], result: "i32" },
  // The same fcntl on Deno's blocking thread pool, for F_OFD_SETLKW: the event loop keeps
  // running while the kernel holds the call until the lock is free.
  fcntlBlocking: {
    name: "fcntl",
    parameters: ["i32", "i32", "buffer"],
    result: "i32",
    nonblocking: true,
  },
  fstat: { parameters: ["i32", "buffer"], result: "i32", optional: true },
  stat: { parameters: ["buffer", "buffer"], result: "i32", optional: true },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

/** The bound library. */
export type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let lib: Libc | undefined;

/** The error when FFI is not permitted: names the flag to add. */
function ffiPermissionError(err: Error): Error {
  const Ctor = err.constructor as new (m: string, o?: ErrorOptions) => Error;
  return new Ctor(
    `fileLockMode "fcntl" locks through libc's fcntl() over FFI: run with --allow-ffi ` +
      `(${err.message})`,
    { cause: err },
  );
}

/**
 * libc, opened on first use.
 *
 * @throws {Deno.errors.NotCapable} Without `--allow-ffi` (the message names the flag).
 * @throws {Error} On an OS other than Linux.
 */
export function libc(): Libc {
  if (lib !== undefined) return lib;
  if (Deno.build.os !== "linux") {
    throw new Error(
      `fileLockMode "fcntl" is implemented for Linux only (this is ${Deno.build.os}); ` +
        `use the default "flock" mode`,
    );
  }
  let opened: Deno.DynamicLibrary<typeof SYMBOLS> | undefined;
  let last: unknown;
  // glibc first; musl's libc answers to its own name.
  for (const name of ["libc.so.6", `libc.musl-${Deno.build.arch}.so.1`, "libc.so"]) {
    try {
      opened = Deno.dlopen(name, SYMBOLS);
      break;
    } catch (err) {
      if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
        throw ffiPermissionError(err);
      }
      last = err;
    }
  }
  if (opened === undefined) {
    throw new Error(`fileLockMode "fcntl" could not open libc`, { cause: last });
  }
  lib = opened.symbols;
  return lib;
}

/** errno of the last failed synchronous call on this thread. */
export function errno(c: Libc): number {
  const p = c.__errno_location();
  return p === null ? 0 : new Deno.UnsafePointerView(p).getInt32();
}

/** A NUL-terminated path for the C calls. */
export function cPath(path: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(path + "\0");
}
