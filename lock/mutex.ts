export { Mutex, type MutexAcquireOptions } from "./_mutex.ts";
