import assert from "node:assert/strict";
import {
  enableTcpMigrateReq,
  resetTcpMigrateReq,
  type SettingAccess,
} from "../../service/_migrate_req.ts";
import { atTerminal, captureLog } from "../_util.ts";

function fake(
  value: string | undefined,
  writable: boolean,
): { state: { value: string | undefined; writes: number }; access: SettingAccess } {
  const state = { value, writes: 0 };
  return {
    state,
    access: {
      read: (): string | undefined => state.value,
      write: (): void => {
        if (!writable) throw new Deno.errors.PermissionDenied("Permission denied (os error 13)");
        state.writes++;
        state.value = "1";
      },
    },
  };
}

Deno.test("tcp_migrate_req: turned on once when it may, logged once", () => {
  resetTcpMigrateReq();
  using log = captureLog();
  const { state, access } = fake("0", true);
  assert.equal(enableTcpMigrateReq(access), "1");
  assert.equal(enableTcpMigrateReq(access), "1");
  assert.equal(state.writes, 1);
  assert.equal(log.lines.length, 1);
  assert.match(log.lines[0]!, /Set net\.ipv4\.tcp_migrate_req=1 .*was 0/);
  resetTcpMigrateReq();
});

Deno.test("tcp_migrate_req: a warning names the setting when it cannot be set, once", () => {
  resetTcpMigrateReq();
  using log = captureLog();
  const { access } = fake("0", false);
  assert.equal(enableTcpMigrateReq(access), "0");
  enableTcpMigrateReq(access);
  assert.equal(log.lines.length, 1);
  assert.match(log.lines[0]!, /Cannot set net\.ipv4\.tcp_migrate_req=1 \(PermissionDenied/);
  assert.match(log.lines[0]!, /migrateRequests: false/);
  resetTcpMigrateReq();
});

Deno.test("tcp_migrate_req: nothing is written or logged when it is on already", () => {
  resetTcpMigrateReq();
  using log = captureLog();
  const { state, access } = fake("1", true);
  assert.equal(enableTcpMigrateReq(access), "1");
  assert.equal(state.writes, 0);
  assert.deepEqual(log.lines, []);
  resetTcpMigrateReq();
});

Deno.test("a launcher run at a terminal with the README's flags warns that it cannot set tcp_migrate_req instead of prompting", async () => {
  const fixture = new URL("./_fixtures/terminal_launcher.ts", import.meta.url).pathname;
  const { code, output } = await atTerminal([
    Deno.execPath(),
    "run",
    "--unstable-net",
    "--allow-read",
    "--allow-env",
    "--allow-net",
    fixture,
  ]);
  assert.doesNotMatch(output, /Deno requests/);
  assert.match(output, /Cannot set net\.ipv4\.tcp_migrate_req=1/);
  assert.equal(code, 0, output);
});
