export { Mutex } from "./_mutex.ts";
