import { describe, expect, it } from "vitest";
import { histogramQuantile } from "./histogram-quantile.js";

const INF = Number.POSITIVE_INFINITY;

describe("histogramQuantile", () => {
  it("interpolates linearly inside the bucket that holds the rank", () => {
    // 100 observations spread evenly over 0.1-0.25 s.
    const buckets: Array<[number, number]> = [
      [0.05, 0],
      [0.1, 0],
      [0.25, 100],
      [0.5, 100],
      [INF, 100],
    ];
    expect(histogramQuantile(0.95, buckets)).toBeCloseTo(0.2425, 12);
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.175, 12);
    expect(histogramQuantile(1, buckets)).toBeCloseTo(0.25, 12);
  });

  it("counts from the bucket below and starts the first bucket at 0", () => {
    const buckets: Array<[number, number]> = [
      [1, 50],
      [2, 90],
      [4, 100],
      [INF, 100],
    ];
    expect(histogramQuantile(0.25, buckets)).toBeCloseTo(0.5, 12);
    expect(histogramQuantile(0.7, buckets)).toBeCloseTo(1.5, 12);
    expect(histogramQuantile(0.95, buckets)).toBeCloseTo(3, 12);
  });

  it("gives the highest finite bound for a rank in the +Inf bucket", () => {
    expect(histogramQuantile(0.99, [[1, 10], [2, 20], [INF, 40]])).toBe(2);
  });

  it("is NaN without observations or without a +Inf bucket, and infinite outside 0..1", () => {
    expect(histogramQuantile(0.5, [[1, 0], [INF, 0]])).toBeNaN();
    expect(histogramQuantile(0.5, [[1, 5], [2, 10]])).toBeNaN();
    expect(histogramQuantile(0.5, [])).toBeNaN();
    expect(histogramQuantile(-0.1, [[1, 5], [INF, 10]])).toBe(Number.NEGATIVE_INFINITY);
    expect(histogramQuantile(1.1, [[1, 5], [INF, 10]])).toBe(INF);
  });
});
