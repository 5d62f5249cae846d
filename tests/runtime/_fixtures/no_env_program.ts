// A service's first steps, run at a terminal without --allow-env by optional_env_test.ts: every
// optional variable fjord reads on the way (FJORD_BACKEND, FJORD_LOG_LEVEL, FJORD_LOCK_PATH,
// OSLO_LOCK_PATH) must count as unset, not stop the program at a permission prompt.

import { getBackend, lock, LockPathRequiredError } from "../../../mod.ts";

const backend = getBackend().type;
await (await lock("first-use")).release();
let lockPath = "set";
try {
  await (await lock("first-use-external", { external: true })).release();
} catch (error) {
  if (!(error instanceof LockPathRequiredError)) throw error;
  lockPath = "unset";
}
// deno-lint-ignore no-console
console.log(`done backend=${backend} lockPath=${lockPath}`);
