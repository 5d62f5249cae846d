// Masking of secrets in command lines, command output and logged arguments, after oslo.utils
// `strutils.mask_password`. Lives in config (the lowest layer using it); process/mask_password.ts
// is its public face.

// oslo.utils master's key list (35 keys; 6.0.1 lacks `chapsecret`). Lower-case, matched as
// case-insensitive substrings, so `my_password=` and `PASSWORD1 = x` are caught too.
const KEYS: readonly string[] = [
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

// A quoted value: the opening quote (the group numbered in place of `\QN`) up to the same quote,
// unescaped. oslo stops at the first quote of either kind and then runs a greedy "wildcard"
// pattern to eat what a quote inside the value left over; that wildcard can delete text between
// two JSON members (`{"password": "abc", "x": 1}` became `{"password": "***", ": 1}`). Matching the
// opening quote and honouring backslash escapes masks the whole value and leaves valid JSON valid,
// so there is no wildcard pattern here.
const QUOTED = String.raw`(["'])((?:\\.|(?!\QN)[^\\])*)\QN`;

interface Rule {
  /** Compiled per key; `k` is the key followed by optional digits. */
  regex: RegExp;
  /** Builds the replacement from the match groups and the secret. */
  replace: (secret: string, groups: (string | undefined)[]) => string;
}

type Template = {
  source: (k: string) => string;
  replace: Rule["replace"];
};

function quoted(groupIndex: number): string {
  return QUOTED.replaceAll(String.raw`\QN`, `\\${groupIndex}`);
}

// Replacement for "prefix, opening quote, value, same quote": keep the prefix and the quotes.
const keepQuotes = (secret: string, g: (string | undefined)[]): string =>
  `${g[1] ?? ""}${g[2] ?? ""}${secret}${g[2] ?? ""}`;
// Replacement for "prefix, value, suffix".
const keepAround = (secret: string, g: (string | undefined)[]): string =>
  `${g[1] ?? ""}${secret}${g[2] ?? ""}`;

// The oslo pattern families, in oslo's order (two-group patterns first, then the one-group one).
const TEMPLATES: readonly Template[] = [
  // key = 'value' / key="value"
  { source: (k) => String.raw`(${k}\s*=\s*)${quoted(2)}`, replace: keepQuotes },
  // key 'value'
  { source: (k) => String.raw`(${k}\s+)${quoted(2)}`, replace: keepQuotes },
  // --key value
  { source: (k) => String.raw`(--${k}\s+)[^'"=\s^]+(\s*)`, replace: keepAround },
  // <key>value</key>
  { source: (k) => String.raw`(<${k}>)[^<]*(</${k}>)`, replace: keepAround },
  // "...key...": "value" (JSON, Python dict repr, u'' prefix)
  { source: (k) => String.raw`(['"][^"']*${k}['"]\s*:\s*u?)${quoted(2)}`, replace: keepQuotes },
  // 'key', '-p', 'value' (a Python argv tuple)
  {
    source: (k) => String.raw`(['"][^'"]*${k}['"]\s*,\s*'--?[A-z]+'\s*,\s*u?)${quoted(2)}`,
    replace: keepQuotes,
  },
  // key -p value
  { source: (k) => String.raw`(${k}\s*--?[A-z]+\s*)\S+(\s*)`, replace: keepAround },
  // oslo's own quoted patterns, for what the ones above leave: mismatched quotes (`key='v"`) and a
  // value ending in a backslash (`key='v\'`, literal in a shell). A value masked above is `***`
  // between quotes by now, which these leave as it is.
  { source: (k) => String.raw`(${k}\s*=\s*["'])[^"']*(["'])`, replace: keepAround },
  { source: (k) => String.raw`(${k}\s+["'])[^"']*(["'])`, replace: keepAround },
  { source: (k) => String.raw`(['"][^"']*${k}['"]\s*:\s*u?['"])[^"']*(['"])`, replace: keepAround },
  {
    source: (k) => String.raw`(['"][^'"]*${k}['"]\s*,\s*'--?[A-z]+'\s*,\s*u?['"])[^"']*(['"])`,
    replace: keepAround,
  },
  // key=value (unquoted; eats a trailing `;` as oslo does)
  { source: (k) => String.raw`(${k}\s*=\s*)[^\s^'"]+`, replace: keepAround },
];

// Compiled per key on first use: the 420 regexes cost 2-3 ms, paid by every program importing
// fjord at its start-up (a launcher's before it starts its workers) when built up front.
const RULES = new Map<string, readonly Rule[]>();

function rules(key: string): readonly Rule[] {
  let r = RULES.get(key);
  if (r === undefined) {
    r = TEMPLATES.map((t) => ({ regex: new RegExp(t.source(`${key}[0-9]*`), "gisu"), ...t }));
    RULES.set(key, r);
  }
  return r;
}

/**
 * Replaces secrets in `message` with `secret` (the core of `maskPassword` in `process/`, which
 * documents the rules; config uses it to mask command-line arguments in `logOptions`).
 */
export function maskSecrets(message: string, secret: string): string {
  const lower = message.toLowerCase();
  for (let i = 0; i < KEYS.length; i++) {
    const key = KEYS[i]!;
    if (!lower.includes(key)) continue;
    for (const rule of rules(key)) {
      message = message.replace(
        rule.regex,
        (_m: string, ...args: unknown[]) => {
          // args: the capture groups, then the offset (a number), the input and maybe `groups`.
          const end = args.findIndex((a) => typeof a === "number");
          return rule.replace(secret, [undefined, ...args.slice(0, end)] as (string | undefined)[]);
        },
      );
    }
  }
  return message;
}
