export interface ScenarioResult {
  count: number;
  failures: string[];
}
export interface Scenario {
  name: string;
  iterations: { full: number; short: number };
  run(o: { iterations: number; full: boolean }): Promise<ScenarioResult>;
}
