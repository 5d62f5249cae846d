/**
 * Masking of secrets in command lines and command output, after oslo.utils
 * `strutils.mask_password`.
 *
 * @module
 */

import { maskSecrets } from "../config/_mask.ts";
import { describeValue } from "../runtime/_describe.ts";

/**
 * Replaces passwords, tokens and other secrets in `message` with `secret`, using oslo.utils'
 * key list (`password`, `token`, `secret`, `admin_pass`, `private_key`, … — 35 keys, matched
 * case-insensitively as substrings, optionally followed by digits) and its pattern families:
 * `key='v'`, `key "v"`, `--key v`, `<key>v</key>`, `"key": "v"`, `'key', '-p', 'v'`,
 * `key -p v` and `key=v`.
 *
 * Unlike oslo, quoted values end at the matching unescaped quote, so a value with a quote inside
 * is masked whole and valid JSON stays valid JSON; oslo's own quoted patterns then still mask
 * values whose quotes do not pair up (`password='x"`). Not masked (as in oslo): URL credentials
 * (`mysql://u:pw@host`), `--os-token abc`, `chap password xyz`, and (unlike oslo, whose wildcard
 * pattern eats it) text after a masked quoted value.
 *
 * @param message The text to mask (a command line, a log line, command output).
 * @param secret What replaces each secret value.
 * @returns The masked text (the same string when no key occurs).
 *
 * @example
 * ```ts
 * import { maskPassword } from "@fjord/fjord/process";
 * import assert from "node:assert/strict";
 *
 * assert.equal(maskPassword("mysql --password secret -u root"), "mysql --password *** -u root");
 * assert.equal(maskPassword("password='x'"), "password='***'");
 * assert.equal(maskPassword('{"token": "abc", "x": 1}'), '{"token": "***", "x": 1}');
 * assert.equal(maskPassword("ADMIN_PASS=abc;", "<hidden>"), "ADMIN_PASS=<hidden>");
 * ```
 */
export function maskPassword(message: string, secret = "***"): string {
  if (typeof message !== "string") {
    throw new TypeError(
      `Cannot mask password as 'message' must be a string: current value is ${
        describeValue(message)
      }`,
    );
  }
  return maskSecrets(message, secret);
}
