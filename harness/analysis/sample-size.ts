import { wilson, Z95 } from "./intervals.js";

/**
 * How many requests an error-rate threshold needs before the `significant`
 * policy can speak, from the Wilson interval the analysis draws.
 */

/** The power the harness promises: a candidate at twice (or half) a threshold is told in 19 tries of 20. */
const POWER = 0.95;

/** The fewest requests with no error whose 95% Wilson interval lies wholly under `threshold` (a fraction): what `significant` needs to pass "<threshold". */
export function requestsToShowBelow(threshold: number): number {
  return fewest((n) => wilson(0, n)[1] < threshold);
}

/**
 * The fewest requests at which an error-rate threshold is told apart at 95%
 * confidence with 95% power: a candidate failing at twice the threshold
 * shows an interval wholly beyond it, and one failing at half of it an
 * interval wholly within, each in 19 tries of 20. Twice and half are the
 * distances the harness promises to tell (`npm run bench -- analysis`); a
 * candidate nearer its threshold may need more, and may stay undecided.
 */
export function requestsToTell(threshold: number): number {
  if (!(threshold > 0 && threshold < 1)) return 1;
  const high = Math.min(2 * threshold, (1 + threshold) / 2);
  const low = threshold / 2;
  return fewest((n) => {
    // The fewest errors whose interval lies beyond the threshold, and the most whose interval lies within.
    const beyond = firstK(n, (k) => wilson(k, n, Z95)[0] > threshold);
    const within = firstK(n, (k) => wilson(k, n, Z95)[1] >= threshold) - 1;
    return 1 - binomialCdf(beyond - 1, n, high) >= POWER && binomialCdf(within, n, low) >= POWER;
  });
}

/** The smallest k in [0, n] for which `holds` (monotone in k), or n + 1. */
function firstK(n: number, holds: (k: number) => boolean): number {
  let lo = 0;
  let hi = n + 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (holds(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** P(K <= k) for K ~ Binomial(n, p), summed in log space (no underflow at thousands of trials). */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  let logPmf = n * Math.log1p(-p);
  let sum = Math.exp(logPmf);
  const odds = Math.log(p) - Math.log1p(-p);
  for (let i = 0; i < k; i++) {
    logPmf += Math.log((n - i) / (i + 1)) + odds;
    sum += Math.exp(logPmf);
  }
  return Math.min(1, sum);
}

/** The smallest n >= 1 for which `enough` holds (it holds for every larger n), or 10^7. */
function fewest(enough: (n: number) => boolean): number {
  let hi = 1;
  while (!enough(hi) && hi < 10_000_000) hi *= 2;
  let lo = Math.floor(hi / 2);
  while (lo + 1 < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (enough(mid)) hi = mid;
    else lo = mid;
  }
  return enough(lo) && lo >= 1 ? lo : hi;
}
