import assert from "node:assert/strict";
import { Config } from "../../config/mod.ts";
import { externalLock, getLockPath, lock, setDefaults } from "../../lock/mod.ts";

function withEnv(vars: Record<string, string | undefined>): Disposable {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, Deno.env.get(k)]));
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) Deno.env.delete(k);
    else Deno.env.set(k, v);
  }
  return {
    [Symbol.dispose](): void {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) Deno.env.delete(k);
        else Deno.env.set(k, v);
      }
    },
  };
}

Deno.test("getLockPath() resolves option conf, defaults, FJORD_LOCK_PATH, OSLO_LOCK_PATH in order", () => {
  using _env = withEnv({ FJORD_LOCK_PATH: undefined, OSLO_LOCK_PATH: undefined });
  try {
    assert.equal(getLockPath(), undefined);
    Deno.env.set("OSLO_LOCK_PATH", "/oslo");
    assert.equal(getLockPath(), "/oslo");
    Deno.env.set("FJORD_LOCK_PATH", "/fjord");
    assert.equal(getLockPath(), "/fjord");
    setDefaults({ lockPath: "/defaults" });
    assert.equal(getLockPath(), "/defaults");
    const defaultConf = new Config();
    setDefaults({ conf: defaultConf });
    assert.equal(getLockPath(), "/defaults");
    defaultConf.setOverride("lock_path", "/default-conf", "oslo_concurrency");
    assert.equal(getLockPath(), "/default-conf");
    const conf = new Config();
    // getLockPath registers [oslo_concurrency] on the conf it reads (idempotently).
    assert.equal(getLockPath(conf), "/defaults");
    conf.setOverride("lock_path", "/given-conf", "oslo_concurrency");
    assert.equal(getLockPath(conf), "/given-conf");
    assert.equal(getLockPath(conf), "/given-conf");
  } finally {
    setDefaults({ lockPath: undefined, conf: undefined });
  }
});

Deno.test("externalLock() reads the lock directory at each call", () => {
  using _env = withEnv({ FJORD_LOCK_PATH: "/first", OSLO_LOCK_PATH: undefined });
  assert.equal(externalLock("n").path, "/first/n");
  Deno.env.set("FJORD_LOCK_PATH", "/second");
  assert.equal(externalLock("n").path, "/second/n");
  assert.equal(externalLock("n", { lockPath: "/opt/" }).path, "/opt/n");
});

Deno.test("lock() external uses [oslo_concurrency] lock_path of the conf option", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const conf = new Config();
    await Deno.writeTextFile(`${dir}/svc.conf`, `[oslo_concurrency]\nlock_path = ${dir}/locks\n`);
    await conf.load({ files: [`${dir}/svc.conf`] });
    await (await lock("from-conf", { external: true, conf })).release();
    assert.equal((await Deno.stat(`${dir}/locks/from-conf`)).isFile, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("disable_process_locking makes external a no-op (no lock path needed)", async () => {
  using _env = withEnv({ FJORD_LOCK_PATH: undefined, OSLO_LOCK_PATH: undefined });
  const conf = new Config();
  assert.throws(() => lock("nolocking", { external: true, conf }), {
    name: "LockPathRequiredError",
  });
  conf.setOverride("disable_process_locking", true, "oslo_concurrency");
  const h = await lock("nolocking", { external: true, conf });
  await h.release();
});
