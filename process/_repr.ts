// Python's repr() of a str, which oslo uses for stdout/stderr in ProcessExecutionError messages
// and log dumps (`Stdout: ''`), so fjord's messages read the same.
export function pyRepr(value: string | undefined): string {
  if (value === undefined) return "None";
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (ch === quote) out += "\\" + quote;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || (code >= 0x7f && code < 0xa0)) {
      out += "\\x" + code.toString(16).padStart(2, "0");
    } else out += ch;
  }
  return out + quote;
}
