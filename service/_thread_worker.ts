// The Web Worker entry that runs one ThreadGroup TaskRef thread on the threading backend: it
// imports the task, calls it with the thread's arguments plus `{ signal }`, posts one reply
// ({kind: "result"} or {kind: "error"}) and waits to be terminated by its parent. The signal
// never aborts here: stopping such a thread terminates the Worker.

import { receiveFjordInit } from "../runtime/_fjord_worker.ts";
import { loadTask } from "../runtime/task_ref.ts";
import { serializeError } from "../runtime/_error_transfer.ts";

/** What the parent sends: the task and its arguments. */
export interface ThreadInit {
  module: string;
  export: string;
  args: unknown[];
}

const data = await receiveFjordInit<ThreadInit>();
const post = (message: unknown): void => {
  (self as unknown as { postMessage(message: unknown): void }).postMessage(message);
};

try {
  const fn = await loadTask({ module: data.module, export: data.export });
  const value = await fn(...data.args, { signal: new AbortController().signal });
  try {
    post({ kind: "result", value });
  } catch (cause) {
    post({
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
  post({ kind: "error", error: serializeError(err) });
}
