import { valueAtRank } from "./histogram-quantile.js";

/** z for a two-sided 95% interval. */
export const Z95 = 1.959964;

export type Interval = readonly [number, number];

/**
 * The Wilson score interval of a proportion: `k` events in `n` trials. Unlike
 * the normal approximation it stays inside [0, 1] and is honest for small n
 * and for rates near 0 (0 errors in 18 requests is 0-18%, not 0-0%).
 */
export function wilson(k: number, n: number, z = Z95): Interval {
  if (!(n > 0)) return [0, 1];
  const p = Math.min(1, Math.max(0, k / n));
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/**
 * A confidence interval for the q-quantile of the requests behind a
 * histogram (cumulative [bound, count] pairs, +Inf last): the ranks of the
 * order statistics that bracket the quantile with 95% confidence (the number
 * of observations below the true quantile is binomial(n, q)), read from the
 * histogram the way histogram_quantile reads a rank. With 18 requests a p95
 * is any of the top few: the interval says so.
 */
export function quantileInterval(q: number, buckets: ReadonlyArray<readonly [number, number]>, z = Z95): Interval | undefined {
  const n = buckets[buckets.length - 1]?.[1];
  if (!(n !== undefined && n > 0) || buckets.length < 2) return undefined;
  const spread = z * Math.sqrt(n * q * (1 - q));
  const lo = Math.max(0, Math.floor(n * q - spread));
  const hi = Math.min(n, Math.ceil(n * q + spread) + 1);
  return [valueAtRank(lo, buckets), valueAtRank(hi, buckets)];
}

/** "95% CI 12-51%" for rates, "95% CI 262-281ms" for times. */
export function formatInterval(i: Interval, unit: "ratio" | "ms"): string {
  if (unit === "ratio") {
    const pct = (x: number) => (x * 100 >= 10 ? (x * 100).toFixed(0) : (x * 100).toFixed(1));
    return `95% CI ${pct(i[0])}-${pct(i[1])}%`;
  }
  return `95% CI ${Math.round(i[0])}-${Math.round(i[1])}ms`;
}
