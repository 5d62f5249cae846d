// Turns raw option values (text from files, or typed values from defaults and overrides) into
// the option's type, enforcing choices and bounds. Every failure is a ConfigValueError.

import { ConfigValueError } from "./errors.ts";
import type { Opt } from "./opts.ts";

/** The text shown for a value in errors and logs: `***` for secrets. */
export function showValue(opt: Opt, value: unknown): string {
  if (opt.secret) return "***";
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.map((v) => String(v)).join(",");
  return String(value);
}

const INT_RE = /^[+-]?\d+$/;
const FLOAT_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const TRUE = new Set(["true", "1", "on", "yes"]);
const FALSE = new Set(["false", "0", "off", "no"]);

function fail(opt: Opt, group: string, raw: unknown, reason: string): never {
  throw new ConfigValueError(opt.name, group, showValue(opt, raw), reason);
}

function checkChoices(opt: Opt, group: string, raw: unknown, v: string | number): void {
  if (opt.choices !== undefined && !opt.choices.includes(v)) {
    fail(opt, group, raw, `must be one of ${opt.choices.map((c) => JSON.stringify(c)).join(", ")}`);
  }
}

function checkRange(opt: Opt, group: string, raw: unknown, v: number): void {
  if (opt.min !== undefined && v < opt.min) {
    fail(
      opt,
      group,
      raw,
      `must be >= ${opt.min}${opt.max === undefined ? "" : ` and <= ${opt.max}`}`,
    );
  }
  if (opt.max !== undefined && v > opt.max) {
    fail(
      opt,
      group,
      raw,
      `must be ${opt.min === undefined ? "" : `>= ${opt.min} and `}<= ${opt.max}`,
    );
  }
}

function toNumber(opt: Opt, group: string, raw: unknown): number | undefined {
  const integer = opt.type !== "float";
  let v: number;
  if (typeof raw === "number") {
    v = raw;
  } else if (typeof raw === "string") {
    const s = raw.trim();
    // oslo.config reads an empty number as "no value" (None).
    if (s === "") return undefined;
    if (!(integer ? INT_RE : FLOAT_RE).test(s)) {
      fail(opt, group, raw, integer ? "must be an integer" : "must be a number");
    }
    v = Number(s);
  } else {
    fail(opt, group, raw, integer ? "must be an integer" : "must be a number");
  }
  if (!Number.isFinite(v) || (integer && !Number.isSafeInteger(v))) {
    fail(opt, group, raw, integer ? "must be a safe integer" : "must be a finite number");
  }
  // An integer has no -0 (Python's int("-0") is 0); kept, it would differ from 0 for reload().
  if (integer && v === 0) v = 0;
  checkRange(opt, group, raw, v);
  checkChoices(opt, group, raw, v);
  return v;
}

function splitList(s: string): string[] {
  // oslo.config's `value.strip().rstrip(',')`: every trailing comma goes (`a,b,,` is 2 items).
  const t = s.trim().replace(/,+$/, "");
  if (t === "") return [];
  return t.split(",").map((item) => item.trim());
}

function toItems(opt: Opt, group: string, raw: unknown): string[] {
  let items: string[];
  if (typeof raw === "string") {
    items = opt.type === "list" ? splitList(raw) : [raw];
  } else if (Array.isArray(raw) && raw.every((v) => typeof v === "string")) {
    items = [...raw];
  } else {
    fail(opt, group, raw, "must be an array of strings");
  }
  for (const item of items) checkChoices(opt, group, raw, item);
  return items;
}

/**
 * Converts `raw` to `opt`'s type. `undefined` stays `undefined`, except for multi-string
 * options, which read as `[]`.
 */
export function convertValue(opt: Opt, group: string, raw: unknown): unknown {
  if (raw === undefined) return opt.type === "multistring" ? [] : undefined;
  switch (opt.type) {
    case "string":
      if (typeof raw !== "string") fail(opt, group, raw, "must be a string");
      checkChoices(opt, group, raw, raw);
      return raw;
    case "integer":
    case "float":
    case "port":
      return toNumber(opt, group, raw);
    case "boolean": {
      if (typeof raw === "boolean") return raw;
      if (typeof raw === "string") {
        const s = raw.trim().toLowerCase();
        if (TRUE.has(s)) return true;
        if (FALSE.has(s)) return false;
      }
      return fail(opt, group, raw, "must be one of true/false, yes/no, on/off, 1/0");
    }
    case "list":
    case "multistring":
      return toItems(opt, group, raw);
  }
}
