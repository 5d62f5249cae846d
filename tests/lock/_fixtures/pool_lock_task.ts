// Task for pool_main.ts: holds lock(name) for `ms` and returns when it held it [from, to].
import { lock } from "../../../lock/mod.ts";

export async function holdFor(name: string, ms: number): Promise<[number, number]> {
  await using _held = await lock(name);
  const from = Date.now();
  await new Promise((r) => setTimeout(r, ms));
  return [from, Date.now()];
}
