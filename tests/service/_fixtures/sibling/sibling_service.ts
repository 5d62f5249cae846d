// A process-isolation service that imports a module beside it, then says so on stdout.
import { GREETING } from "./helper.ts";
import type { ServiceBase } from "@fjord/fjord";

export default function create(): ServiceBase {
  return {
    start(): void {
      // deno-lint-ignore no-console -- the test reads this line
      console.log(GREETING);
    },
    stop(): void {},
    wait(): void {},
    reset(): void {},
  };
}
