// The shape of a chaos scenario: a bounded fault run that stops by itself and kills what it
// started. `deno task chaos` runs every module in chaos/scenarios/ (full iterations); the short
// version of each runs in `deno task test` through tests/chaos/.

/** What one scenario run found. */
export interface ScenarioResult {
  /** How many fault iterations (or inputs) were exercised. */
  count: number;
  /** One line per broken promise; empty when the scenario passed. */
  failures: string[];
}

/** One chaos scenario. */
export interface Scenario {
  /** "area: what it does", shown in the summary table. */
  name: string;
  /** Iterations for the full run (`deno task chaos`) and the short run (`deno task test`). */
  iterations: { full: number; short: number };
  run(o: { iterations: number; full: boolean }): Promise<ScenarioResult>;
}
