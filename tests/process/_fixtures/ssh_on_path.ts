// deno-lint-ignore-file no-console -- the test reads this fixture's verdict from stdout
// Run with a fake `ssh` first in PATH: sshExecute() with no sshCommand must find and run it.
import { sshExecute } from "../../../process/mod.ts";

const { stdout, stderr } = await sshExecute("db1.example", ["echo", "token=abc", "it's"], {
  timeout: 30_000,
});
console.log(JSON.stringify({ stdout, stderr }));
