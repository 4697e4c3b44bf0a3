import { describe, expect, it } from "vitest";
import { histogramQuantile } from "./histogram-quantile.js";
import { COARSE_BUCKETS_S, FINE_RATIO, latencyBuckets } from "./latency-buckets.js";

/** The cumulative histogram of `values` (seconds) over `bounds`, +Inf last. */
function histogram(values: readonly number[], bounds: readonly number[]): Array<[number, number]> {
  return [...bounds, Number.POSITIVE_INFINITY].map((b) => [b, values.filter((v) => v <= b).length]);
}

/** The exact q-quantile (nearest rank) of `values`. */
function exact(q: number, values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

/** n latencies spread evenly between lo and hi seconds, shuffled by a fixed step. */
function spread(n: number, lo: number, hi: number): number[] {
  return Array.from({ length: n }, (_, i) => lo + ((hi - lo) * ((i * 7919) % n)) / (n - 1));
}

describe("latencyBuckets", () => {
  const document = [500, 300, 2000];
  const bounds = latencyBuckets(document);

  it("keeps the coarse ladder, adds every threshold as a bound, ascending without repeats", () => {
    for (const b of COARSE_BUCKETS_S) expect(bounds).toContain(b);
    for (const t of document) expect(bounds).toContain(t / 1000);
    expect([...bounds].sort((a, b) => a - b)).toEqual(bounds);
    expect(new Set(bounds).size).toBe(bounds.length);
    expect(bounds.length).toBeLessThan(80);
  });

  it("spaces the bounds at most FINE_RATIO apart from 20% below to 20% above each threshold", () => {
    for (const t of document.map((ms) => ms / 1000)) {
      const band = bounds.filter((b) => b >= 0.75 * t && b <= 1.3 * t);
      expect(band[0]!).toBeLessThanOrEqual(0.8 * t);
      expect(band.at(-1)!).toBeGreaterThanOrEqual(1.2 * t);
      for (let i = 1; i < band.length; i++) expect(band[i]! / band[i - 1]!).toBeLessThanOrEqual(FINE_RATIO + 1e-5);
    }
  });

  it("puts the estimated p95 on the threshold's side of the exact one and within 5% of it, near every threshold", () => {
    for (const thresholdMs of [300, 500, 2000, 250, 1234]) {
      const b = latencyBuckets([thresholdMs]);
      const t = thresholdMs / 1000;
      for (const factor of [0.8, 0.86, 0.9, 0.95, 0.98, 0.995, 1.005, 1.02, 1.05, 1.1, 1.15, 1.2]) {
        // Latencies whose p95 is about factor x T, with a spread like the reference service's jitter.
        const values = spread(400, factor * t * 0.85, factor * t * 1.01);
        const truth = exact(0.95, values);
        const estimate = histogramQuantile(0.95, histogram(values, b));
        expect(Math.abs(estimate - truth) / truth, `T=${thresholdMs}ms p95=${truth}`).toBeLessThan(0.05);
        expect(estimate < t, `T=${thresholdMs}ms p95=${truth} estimate=${estimate}`).toBe(truth < t);
      }
    }
  });

  it("the default ladder alone misplaces a p95 of 270 ms against <300ms (the issue's case)", () => {
    const values = spread(400, 0.255, 0.276);
    const estimate = histogramQuantile(0.95, histogram(values, COARSE_BUCKETS_S));
    expect(exact(0.95, values)).toBeLessThan(0.3);
    expect(estimate).toBeGreaterThan(0.3);
    expect(histogramQuantile(0.95, histogram(values, latencyBuckets([300])))).toBeLessThan(0.3);
  });

  it("ignores thresholds that are not positive durations", () => {
    expect(latencyBuckets([0, -5, Number.NaN])).toEqual([...COARSE_BUCKETS_S]);
  });
});
