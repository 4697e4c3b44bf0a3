import type { DeploymentSpec } from "../document/deployment-types.js";

/**
 * The reference service's request-duration histogram buckets, generated here
 * and handed to every instance (HTTP_DURATION_BUCKETS), never listed by hand.
 *
 * histogram_quantile() interpolates inside the bucket that holds the rank, as
 * if its observations were spread evenly: with the client default's
 * (0.25 s, 0.5 s] bucket a true p95 of 270 ms reads as about 490 ms, and a
 * 300 ms criterion fails every candidate between 250 and 300 ms. So:
 * - every response-time threshold of the run's document is a bucket bound.
 *   Then the estimate lands on the threshold's side of the exact quantile:
 *   when the true quantile is below T, at least that share of the requests
 *   is counted in le=T, so the rank falls in a bucket ending at or below T;
 *   when it is above T, the rank falls above it;
 * - around each threshold a ladder of buckets FINE_RATIO apart, from
 *   FINE_BELOW x T to FINE_ABOVE x T: wherever the true value is within 20%
 *   of a threshold, it and the estimate share one bucket, so they differ by
 *   less than FINE_RATIO - 1 (4%);
 * - elsewhere the usual coarse ladder (Prometheus clients' defaults).
 */
export const COARSE_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
export const FINE_RATIO = 1.04;
const FINE_BELOW = 0.75;
const FINE_ABOVE = 1.3;

/** Bucket upper bounds in seconds, ascending, for latency thresholds given in milliseconds. */
export function latencyBuckets(thresholdsMs: readonly number[]): number[] {
  const bounds = new Set<number>(COARSE_BUCKETS_S);
  for (const ms of thresholdsMs) {
    if (!(ms > 0) || !Number.isFinite(ms)) continue;
    const t = ms / 1000;
    bounds.add(round(t));
    for (let b = t / FINE_RATIO; b >= FINE_BELOW * t; b /= FINE_RATIO) bounds.add(round(b));
    for (let b = t * FINE_RATIO; b <= FINE_ABOVE * t; b *= FINE_RATIO) bounds.add(round(b));
    // One more step each way, so the band's edges are inside it.
    bounds.add(round(t * FINE_ABOVE * FINE_RATIO));
    bounds.add(round((t * FINE_BELOW) / FINE_RATIO));
  }
  return [...bounds].sort((a, b) => a - b);
}

/** Six significant digits: bounds written as Prometheus labels (le="0.3") without float noise. */
function round(s: number): number {
  return Number(s.toPrecision(6));
}

/** Every response-time threshold the run's strategy can judge with: the rollback trigger's and each canary stage's criterion (milliseconds). */
export function responseTimeThresholds(spec: DeploymentSpec): number[] {
  return [spec.rollback.responseTime.value, ...spec.canary.stages.map((s) => s.successCriteria.responseTime?.value).filter((v): v is number => v !== undefined)];
}

/** The environment variable the reference service reads its buckets from. */
export function bucketsEnv(spec: DeploymentSpec): Record<string, string> {
  return { HTTP_DURATION_BUCKETS: latencyBuckets(responseTimeThresholds(spec)).join(",") };
}
