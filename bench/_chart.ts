// The SVG chart the harness writes: one row per headline comparison, a bar from 1 to fjord's
// advantage over the best peer (fjord ÷ best peer, inverted for lower-is-better metrics so that
// right of 1 always means fjord is better), log scale; a diamond marks the Deno floor on the
// same scale (floor ÷ best peer): how far the runtime itself would allow.

import { advantage, type Compared, fmt } from "./_summary.ts";

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function chartSvg(list: readonly Compared[], subtitle: string): string {
  const rows = list.filter((x) => x.best !== undefined);
  const W = 960, LEFT = 400, RIGHT = 40, TOP = 70, ROW = 24, BOTTOM = 60;
  const H = TOP + rows.length * ROW + BOTTOM;
  const vals: number[] = [1];
  for (const x of rows) {
    vals.push(advantage(x.best!.ratio, x.c.better));
    if (x.floor) vals.push(advantage(x.best!.ratio / x.floor.ratio, x.c.better));
  }
  const lo = Math.min(0.1, 10 ** Math.floor(Math.log10(Math.min(...vals.filter((v) => v > 0)))));
  const hi = Math.max(10, 10 ** Math.ceil(Math.log10(Math.max(...vals))));
  const x = (v: number): number =>
    LEFT + (Math.log10(Math.min(Math.max(v, lo), hi)) - Math.log10(lo)) /
      (Math.log10(hi) - Math.log10(lo)) * (W - LEFT - RIGHT);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="12" y="22" font-size="16" font-weight="bold">fjord ÷ best peer, per workload (log scale; right of 1 = fjord better)</text>`,
    `<text x="12" y="42" fill="#555">${esc(subtitle)}</text>`,
  ];
  for (let e = Math.log10(lo); e <= Math.log10(hi) + 1e-9; e++) {
    const v = 10 ** e;
    const gx = x(v);
    out.push(
      `<line x1="${gx}" y1="${TOP - 8}" x2="${gx}" y2="${TOP + rows.length * ROW}" stroke="${
        v === 1 ? "#333" : "#ddd"
      }" stroke-width="${v === 1 ? 1.5 : 1}"/>`,
      `<text x="${gx}" y="${TOP + rows.length * ROW + 16}" text-anchor="middle" fill="#333">${
        Number(v.toPrecision(1))
      }×</text>`,
    );
  }
  rows.forEach((r, i) => {
    const y = TOP + i * ROW;
    const adv = advantage(r.best!.ratio, r.c.better);
    const x1 = x(1), x2 = x(adv);
    // The value label goes past the bar and the floor's diamond, whichever reaches further.
    const fxOf = r.floor ? x(advantage(r.best!.ratio / r.floor.ratio, r.c.better)) : x2;
    const tx = adv >= 1 ? Math.max(x2, fxOf + 7) + 4 : Math.min(x2, fxOf - 7) - 4;
    if (i % 2 === 0) {
      out.push(`<rect x="0" y="${y}" width="${W}" height="${ROW}" fill="#f6f6f6"/>`);
    }
    out.push(
      `<text x="${LEFT - 8}" y="${y + 16}" text-anchor="end">${
        esc(`${r.c.workload} ${r.c.label}`)
      }</text>`,
      `<rect x="${Math.min(x1, x2)}" y="${y + 5}" width="${
        Math.max(1, Math.abs(x2 - x1))
      }" height="${ROW - 10}" fill="${adv >= 1 ? "#2f7d4f" : "#c0392b"}"><title>${
        esc(
          `${r.c.label} vs ${r.best!.peer}: ${fmt(adv)}× (${r.c.metric}, ${r.c.better} is better)`,
        )
      }</title></rect>`,
      `<text x="${tx}" y="${y + 16}" text-anchor="${adv >= 1 ? "start" : "end"}" fill="#222">${
        fmt(adv)
      }×</text>`,
    );
    if (r.floor) {
      const fa = advantage(r.best!.ratio / r.floor.ratio, r.c.better);
      const fx = x(fa), cy = y + ROW / 2;
      out.push(
        `<path d="M${fx} ${cy - 6} L${fx + 6} ${cy} L${fx} ${cy + 6} L${
          fx - 6
        } ${cy} Z" fill="#fff" stroke="#1f4e9a" stroke-width="2"><title>${
          esc(`Deno floor ${r.floor.peer}: ${fmt(fa)}× the best peer`)
        }</title></path>`,
      );
    }
  });
  const ly = TOP + rows.length * ROW + 38;
  out.push(
    `<rect x="${LEFT}" y="${ly - 10}" width="14" height="10" fill="#2f7d4f"/>`,
    `<text x="${LEFT + 20}" y="${ly}">fjord better</text>`,
    `<rect x="${LEFT + 110}" y="${ly - 10}" width="14" height="10" fill="#c0392b"/>`,
    `<text x="${LEFT + 130}" y="${ly}">fjord worse</text>`,
    `<path d="M${LEFT + 236} ${ly - 11} L${LEFT + 242} ${ly - 5} L${LEFT + 236} ${ly + 1} L${
      LEFT + 230
    } ${ly - 5} Z" fill="#fff" stroke="#1f4e9a" stroke-width="2"/>`,
    `<text x="${LEFT + 250}" y="${ly}">Deno floor (same run), same scale</text>`,
    `</svg>`,
  );
  return out.join("\n") + "\n";
}
