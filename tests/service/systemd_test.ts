import assert from "node:assert/strict";
import { notifyReady, notifyStopping } from "@fjord/fjord";
import { Run, waitFor } from "./_launcher_helpers.ts";

/** A fake `systemd-notify` that appends its arguments and $NOTIFY_SOCKET to `out`. */
async function fakeSystemdNotify(dir: string, out: string): Promise<string> {
  const bin = `${dir}/bin`;
  await Deno.mkdir(bin);
  await Deno.writeTextFile(
    `${bin}/systemd-notify`,
    `#!/bin/sh\necho "$* $NOTIFY_SOCKET" >> "${out}"\n`,
    { mode: 0o755 },
  );
  return bin;
}

Deno.test("notifyReady() and notifyStopping() resolve false without $NOTIFY_SOCKET", async () => {
  const saved = Deno.env.get("NOTIFY_SOCKET");
  Deno.env.delete("NOTIFY_SOCKET");
  try {
    assert.equal(await notifyReady(), false);
    assert.equal(await notifyStopping(), false);
  } finally {
    if (saved !== undefined) Deno.env.set("NOTIFY_SOCKET", saved);
  }
});

Deno.test("notifyReady() falls back to systemd-notify without the unstable datagram API", async () => {
  const dir = await Deno.makeTempDir();
  const saved = { path: Deno.env.get("PATH"), socket: Deno.env.get("NOTIFY_SOCKET") };
  try {
    const out = `${dir}/notify.log`;
    const bin = await fakeSystemdNotify(dir, out);
    Deno.env.set("PATH", `${bin}:${saved.path}`);
    Deno.env.set("NOTIFY_SOCKET", `${dir}/notify.sock`);
    assert.equal(await notifyReady(), true);
    assert.equal(await notifyStopping(), true);
    assert.equal(
      await Deno.readTextFile(out),
      `READY=1 ${dir}/notify.sock\nSTOPPING=1 ${dir}/notify.sock\n`,
    );
  } finally {
    Deno.env.set("PATH", saved.path!);
    if (saved.socket === undefined) Deno.env.delete("NOTIFY_SOCKET");
    else Deno.env.set("NOTIFY_SOCKET", saved.socket);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("launchers notify READY=1 once every worker started and STOPPING=1 on stop", async () => {
  await Promise.all((["service", "process"] as const).map(async (launcher) => {
    const dir = await Deno.makeTempDir({ prefix: "fjord-launcher-" });
    const out = `${dir}/notify.log`;
    const bin = await fakeSystemdNotify(dir, out);
    const env = { PATH: `${bin}:${Deno.env.get("PATH")}`, NOTIFY_SOCKET: `${dir}/sock` };
    const read = (): string => {
      try {
        return Deno.readTextFileSync(out);
      } catch {
        return "";
      }
    };
    await using run = await Run.start(
      { backend: "cooperative", launcher, workers: launcher === "process" ? 2 : 1 },
      { env, dir },
    );
    await waitFor(() => read().includes("READY=1"), "READY=1");
    assert.equal(run.count("start"), launcher === "process" ? 2 : 1);
    run.kill("SIGTERM");
    assert.equal((await run.exit()).code, 0);
    assert.equal(read(), `READY=1 ${dir}/sock\nSTOPPING=1 ${dir}/sock\n`);
  }));
});
