// The entry module of a ThreadGroup TaskRef thread on the threading backend (a Web Worker run by
// the isolate host): it imports the task, calls it with the thread's arguments plus `{ signal }`,
// sends one reply and waits to be terminated by its parent. The signal never aborts here:
// stopping such a thread terminates the Worker. A task that ends the Worker instead (Deno.exit,
// self.close, an uncaught error) is reported by the guest, and the thread settles with it.

import { connectGuest, type Guest } from "../runtime/_isolate_guest.ts";
import { loadTask } from "../runtime/task_ref.ts";
import { type SerializedError, serializeError } from "../runtime/_error_transfer.ts";

/** What the parent sends: the task and its arguments. */
export interface ThreadInit {
  module: string;
  export: string;
  args: unknown[];
}

/** The one reply. */
export type ThreadReply =
  | { kind: "result"; value: unknown }
  | { kind: "error"; error: SerializedError };

async function main(guest: Guest<never, ThreadReply>): Promise<void> {
  const data = guest.data as ThreadInit;
  guest.onMessage = () => {};
  guest.onInputEnd = () => {};
  try {
    const fn = await loadTask({ module: data.module, export: data.export });
    const value = await fn(...data.args, { signal: new AbortController().signal });
    try {
      guest.send({ kind: "result", value });
    } catch (cause) {
      guest.send({
        kind: "error",
        error: serializeError(
          new TypeError(
            `Cannot return the result of task '${data.export}' from its Web Worker as it is not structured-cloneable`,
            { cause },
          ),
        ),
      });
    }
  } catch (err) {
    guest.send({ kind: "error", error: serializeError(err) });
  }
}

// No top-level await: a Worker that ends while its entry module is still evaluating leaks.
void connectGuest<never, ThreadReply>().then(main);
