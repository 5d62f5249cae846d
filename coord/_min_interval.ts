/**
 * The shortest interval of an exclusive periodic tick, ms. Ticks are numbered
 * `Date.now() / interval`, and members agree on a tick only while those numbers are exact
 * integers, below 2^53 (`Number.MAX_SAFE_INTEGER`): at 0.001 ms they stay below it until the year
 * 2255, while at 1e-4 ms they are ~1.8e16 already (2026), where doubles step by 2. A fixed floor,
 * not a check against the current time, so that an interval accepted today is accepted tomorrow.
 * A leaf module: `periodicTask({ exclusive })` checks its spacing against it when the task is
 * added, without loading the claim itself.
 */
export const MIN_INTERVAL_MS = 0.001;
