import assert from "node:assert/strict";
import {
  advantage,
  compare,
  type Comparison,
  fmt,
  type Row,
  sourceOf,
} from "../../bench/_summary.ts";
import { chartSvg } from "../../bench/_chart.ts";

function row(run: number, peer: string, metric: string, value: number, workload = "W9"): Row {
  return { run, peer, workload, metric, value, unit: "x" };
}

const rows: Row[] = [
  row(1, "fjord.Thing", "ops", 100),
  row(2, "fjord.Thing", "ops", 300),
  row(3, "fjord.Thing", "ops", 200),
  row(1, "slow peer", "ops", 10),
  row(2, "slow peer", "ops", 10),
  row(3, "slow peer", "ops", 10),
  row(1, "fast peer", "ops", 50),
  row(2, "fast peer", "ops", 100),
  row(3, "fast peer", "ops", 40),
  row(1, "node thing (floor)", "ops", 10_000),
  row(1, "deno raw (floor)", "ops", 400),
  row(2, "deno raw (floor)", "ops", 400),
  row(3, "deno raw (floor)", "ops", 400),
  row(1, "fjord.Thing", "ms", 4),
  row(1, "peer", "ms", 2),
];

Deno.test("sourceOf tells fjord rows, floors and peers apart by name", () => {
  assert.equal(sourceOf("fjord.Mutex"), "fjord");
  assert.equal(sourceOf("deno promise-chain lock (floor)"), "floor");
  assert.equal(sourceOf("async-mutex Mutex"), "peer");
});

Deno.test("compare takes the best peer by median, ignores floors as peers, and ratios per run", () => {
  const c: Comparison = {
    label: "thing",
    workload: "W9",
    metric: "ops",
    better: "higher",
    fjord: "fjord.Thing",
    peers: /peer/,
    floor: /./,
  };
  const [x] = compare(rows, [c]);
  assert.equal(x?.fjord.median, 200);
  assert.equal(x?.best?.peer, "fast peer");
  assert.equal(x?.best?.ratio, 200 / 50);
  assert.deepEqual([x?.best?.runRatios.min, x?.best?.runRatios.max], [2, 5]);
  // The node floor is faster but is not a Deno floor measured by fjord's scripts.
  assert.equal(x?.floor?.peer, "deno raw (floor)");
  assert.equal(x?.floor?.ratio, 0.5);
});

Deno.test("advantage turns lower-is-better ratios around so > 1 always means fjord is better", () => {
  const [x] = compare(rows, [{
    label: "t",
    workload: "W9",
    metric: "ms",
    better: "lower",
    fjord: "fjord.Thing",
    peers: /peer/,
  }]);
  assert.equal(x?.best?.ratio, 2);
  assert.equal(advantage(x!.best!.ratio, "lower"), 0.5);
  assert.equal(advantage(3, "higher"), 3);
});

Deno.test("a comparison whose fjord row is missing is left out", () => {
  assert.deepEqual(
    compare(rows, [{
      label: "n",
      workload: "W9",
      metric: "ops",
      better: "higher",
      fjord: "fjord.None",
    }]),
    [],
  );
});

Deno.test("fmt prints like the peer kit's summarize.py", () => {
  assert.equal(fmt(27913.6), "27,914");
  assert.equal(fmt(123.4), "123");
  assert.equal(fmt(12.34), "12.3");
  assert.equal(fmt(1.234), "1.23");
  assert.equal(fmt(0.01234), "0.0123");
});

Deno.test("the chart has one bar per comparison with a peer and marks the floor", () => {
  const list = compare(rows, [{
    label: "thing",
    workload: "W9",
    metric: "ops",
    better: "higher",
    fjord: "fjord.Thing",
    peers: /peer/,
    floor: /./,
  }, {
    label: "no peer",
    workload: "W9",
    metric: "ops",
    better: "higher",
    fjord: "fjord.Thing",
    floor: /./,
  }]);
  const svg = chartSvg(list, "sub <title>");
  assert.match(svg, /^<svg /);
  assert.match(svg, /<\/svg>\n$/);
  assert.equal(svg.match(/<title>thing vs fast peer: 4\.00×/g)?.length, 1);
  assert.equal(svg.match(/<title>Deno floor deno raw \(floor\): 8\.00×/g)?.length, 1);
  assert.match(svg, /sub &lt;title&gt;/);
  assert.doesNotMatch(svg, /no peer/);
});
