// Imported for its effect by every part of fjord that starts Web Workers (futures/, service/):
// the lock tables in shared memory must exist in the spawning isolate before its first Worker
// starts, whether or not this isolate ever locks. Otherwise each Worker made its own table and
// lock(name) no longer excluded across Workers (a main module importing only the executors).
import "./_shared_lock_table.ts";
import "./_worker_fds.ts";
