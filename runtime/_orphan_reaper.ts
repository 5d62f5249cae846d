// Ends the child processes this process leaves behind when it dies without stopping them (it was
// SIGKILLed, it crashed). A child sees its stdin end and stops by itself, but one stuck in a
// synchronous loop never looks: it would run on for ever as an orphan. So one /bin/sh per process
// keeps a list of the children to watch ("+ <pid> <seconds>" and "- <pid>" lines on its stdin).
// When its stdin ends (the kernel closed the pipe: this process is gone), it SIGKILLs each child
// still alive <seconds> later (it looks once a second) and exits as soon as none is left: at once
// after a normal exit, whose children are already gone. It tells a child from a process that
// reused its pid by the start time in /proc/<pid>/stat (Linux only), ignores the terminal's
// signals (a Ctrl-C reaches the whole process group: this process decides) and keeps nothing
// alive. It costs one idle shell (~1 MB) while this process has children to watch, and is closed
// with the last of them (the next child starts another).

import { permitted } from "./_permitted.ts";

const SHELL = "/bin/sh";

// POSIX sh, built-ins only while this process lives (no fork beside a starting child): start_of
// sets $now to the start time of process $1, read from /proc/<pid>/stat past "<pid> (<comm>) ",
// where field 22 (starttime) is the 20th word.
const SCRIPT = `trap '' INT HUP TERM QUIT PIPE
start_of() {
  now=
  read -r s < "/proc/$1/stat" || return 1
  s=\${s##*) }
  set -- $s
  shift 19
  now=$1
}
list=
while read -r op pid secs; do
  case $op in
    +) if start_of "$pid" 2>/dev/null; then list="$list $pid:$now:$secs"; fi ;;
    -) keep=; for e in $list; do [ "\${e%%:*}" = "$pid" ] || keep="$keep $e"; done; list=$keep ;;
  esac
done
t=0
while :; do
  keep=
  for e in $list; do
    pid=\${e%%:*}; rest=\${e#*:}; st=\${rest%%:*}; secs=\${rest#*:}
    start_of "$pid" 2>/dev/null && [ "$now" = "$st" ] || continue
    if [ "$t" -ge "$secs" ]; then kill -9 "$pid" 2>/dev/null; else keep="$keep $e"; fi
  done
  list=$keep
  [ -n "$list" ] || exit 0
  sleep 1
  t=$((t + 1))
done
`;

interface Reaper {
  readonly writer: WritableStreamDefaultWriter<Uint8Array>;
}

// undefined: not started (or it died: the next watch starts another); null: unavailable here.
let reaper: Reaper | null | undefined;
let starting = false;
// What the reaper is told, kept to tell a new one after the old one died.
const watched = new Map<number, number>();
const encoder = new TextEncoder();

function tell(r: Reaper, line: string): void {
  r.writer.write(encoder.encode(line + "\n")).catch(() => {
    // It died: its status below lets the next watch start another.
  });
}

function startReaper(): Reaper | null {
  if (Deno.build.os !== "linux" || !permitted({ name: "run", command: SHELL })) return null;
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(SHELL, {
      args: ["-c", SCRIPT],
      stdin: "piped",
      stdout: "null",
      stderr: "null",
    }).spawn();
  } catch {
    return null;
  }
  child.unref();
  const r: Reaper = { writer: child.stdin.getWriter() };
  void child.status.then(() => {
    if (reaper === r) reaper = undefined;
  });
  for (const [pid, seconds] of watched) tell(r, `+ ${pid} ${seconds}`);
  return r;
}

/**
 * Has child process `pid` SIGKILLed if it is still running `graceMs` (rounded up to whole
 * seconds, at least 1) after this process died without ending it. Returns the function to call
 * once the child has exited. Does nothing where it cannot work (not Linux, or no permission to
 * run /bin/sh): the child then only sees its stdin end.
 */
export function watchOrphan(pid: number, graceMs: number): () => void {
  const seconds = Math.max(1, Math.ceil(graceMs / 1000));
  watched.set(pid, seconds);
  if (reaper) tell(reaper, `+ ${pid} ${seconds}`);
  else if (reaper === undefined && !starting) {
    // After the caller's other spawns of this turn (a launcher starts all its workers in one):
    // the shell's own start does not delay theirs, and it is told all of them at once.
    starting = true;
    queueMicrotask(() => {
      starting = false;
      // None left if each child was already unwatched: a shell now would wait on its input for
      // ever (only an unwatch closes it).
      if (watched.size > 0) reaper = startReaper();
    });
  }
  return () => {
    if (!watched.delete(pid) || !reaper) return;
    tell(reaper, `- ${pid}`);
    if (watched.size > 0) return;
    // Nothing left to watch: the shell sees its input end with an empty list and exits.
    void reaper.writer.close().catch(() => {});
    reaper = undefined;
  };
}
