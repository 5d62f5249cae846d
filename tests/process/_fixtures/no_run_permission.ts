// deno-lint-ignore-file no-console -- the test reads this fixture's verdict from stdout
// Run without --allow-run: execute() must reject with an error naming the program and the flag.
import { execute } from "../../../process/mod.ts";

try {
  await execute(["true"]);
  console.log("resolved");
} catch (err) {
  const e = err as Error;
  console.log(
    JSON.stringify({
      name: e.name,
      message: e.message,
      notCapable: e instanceof Deno.errors.NotCapable,
    }),
  );
}
