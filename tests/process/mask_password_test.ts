import assert from "node:assert/strict";
import { maskPassword } from "../../process/mod.ts";

Deno.test("maskPassword() masks oslo's reference vectors", () => {
  const vectors: [string, string][] = [
    ["password='x'", "password='***'"],
    ['password="x"', 'password="***"'],
    ["password 'abc'", "password '***'"],
    ["--password secret", "--password ***"],
    ["--token abc", "--token ***"],
    ["<password>abc</password>", "<password>***</password>"],
    ['"password" : "aaaaa"', '"password" : "***"'],
    ["'adminPass' : 'aaaaa'", "'adminPass' : '***'"],
    ["'original_password' : 'aaaaa'", "'original_password' : '***'"],
    ["{u'password': u'abc'}", "{u'password': u'***'}"],
    ["('password', '-p', 'xyz')", "('password', '-p', '***')"],
    ["password -p secret", "password -p ***"],
    ["password=abc;", "password=***"],
    ["sudo --password=abc cmd", "sudo --password=*** cmd"],
    ["PASSWORD1 = x", "PASSWORD1 = ***"],
    ["my_password=hunter2 next", "my_password=*** next"],
  ];
  for (const [input, expected] of vectors) {
    assert.equal(maskPassword(input), expected, `masking ${input}`);
  }
});

Deno.test("maskPassword() covers every key of oslo.utils' list", () => {
  const keys = [
    "adminpass",
    "admin_pass",
    "password",
    "admin_password",
    "auth_token",
    "new_pass",
    "auth_password",
    "secret_uuid",
    "secret",
    "sys_pswd",
    "token",
    "configdrive",
    "chappassword",
    "encrypted_key",
    "private_key",
    "fernetkey",
    "sslkey",
    "passphrase",
    "cephclusterfsid",
    "octaviaheartbeatkey",
    "rabbitcookie",
    "cephmanilaclientkey",
    "pacemakerremoteauthkey",
    "designaterndckey",
    "cephadminkey",
    "heatauthencryptionkey",
    "cephclientkey",
    "keystonecredential",
    "barbicansimplecryptokek",
    "cephrgwkey",
    "swifthashsuffix",
    "migrationsshkey",
    "cephmdskey",
    "cephmonkey",
    "chapsecret",
  ];
  assert.equal(keys.length, 35);
  for (const key of keys) {
    assert.equal(maskPassword(`${key.toUpperCase()}=v4lue`), `${key.toUpperCase()}=***`, key);
    assert.equal(maskPassword(`<${key}>v4lue</${key}>`), `<${key}>***</${key}>`, key);
  }
});

Deno.test("maskPassword() keeps valid JSON valid (no oslo wildcard mangling)", () => {
  const cases = [
    { password: "abc", x: 1 },
    { user: "u", auth_token: 'to"k\\en', nested: { secret: "s", ok: "keep" }, list: ["a"] },
    { password: "it's", token: "t", n: null },
  ];
  for (const value of cases) {
    for (const text of [JSON.stringify(value), JSON.stringify(value, null, 2)]) {
      const masked = maskPassword(text);
      const parsed = JSON.parse(masked);
      assert.ok(!masked.includes("abc") && !masked.includes('to\\"k') && !masked.includes("it's"));
      if ("x" in value) assert.deepEqual(parsed, { password: "***", x: 1 });
    }
  }
  assert.deepEqual(
    JSON.parse(maskPassword(JSON.stringify(cases[1]))),
    { user: "u", auth_token: "***", nested: { secret: "***", ok: "keep" }, list: ["a"] },
  );
});

Deno.test("maskPassword() masks a whole quoted value that contains the other quote", () => {
  assert.equal(maskPassword(`password = "a'b" rest`), `password = "***" rest`);
  assert.equal(maskPassword(`{'password': "it's"}`), `{'password': "***"}`);
});

Deno.test("maskPassword() leaves what oslo leaves (URL credentials, --os-token)", () => {
  for (const text of ["mysql://u:pw@host", "--os-token abc", "chap password xyz", "nothing here"]) {
    assert.equal(maskPassword(text), text);
  }
});

Deno.test("maskPassword() uses the given secret verbatim, even with $ patterns", () => {
  assert.equal(maskPassword("--password hunter2", "$1$&"), "--password $1$&");
  assert.equal(maskPassword("token=abc", ""), "token=");
});

Deno.test("maskPassword() refuses a non-string message", () => {
  assert.throws(() => maskPassword(42 as unknown as string), TypeError);
});

Deno.test("maskPassword() masks what oslo masks when quotes do not pair up", () => {
  // Found by a differential fuzz against oslo.utils 6.0.1: each output is oslo's.
  const vectors: [string, string][] = [
    [`password='hunter2"`, `password='***"`],
    [`admin_pass "hunter2'`, `admin_pass "***'`],
    // A backslash before the closing quote (literal inside a shell's single quotes).
    ['password="hunter2\\"', 'password="***"'],
    [`sh -c "mysql password='pa\\' -h db"`, `sh -c "mysql password='***' -h db"`],
    [`('token', '-p', "hunter2</x'`, `('token', '-p', "***'`],
    // U+212A KELVIN SIGN lower-cases to "k": Python's re.IGNORECASE matches it, so must we.
    ["TO\u212aEN=hunter2", "TO\u212aEN=***"],
  ];
  for (const [input, expected] of vectors) {
    assert.equal(maskPassword(input), expected, `masking ${input}`);
  }
});
