// deno-lint-ignore-file no-console -- a fixture printing for its parent test
import { getBackend } from "../../../mod.ts";

console.log(getBackend().type);
