import { describe, expect, it } from "vitest";
import { formatInterval, quantileInterval, wilson } from "./intervals.js";

describe("wilson", () => {
  it("matches the textbook values", () => {
    // 5 of 18 (27.8%): 12.5% to 50.9% (Wilson, 95%).
    const [lo, hi] = wilson(5, 18);
    expect(lo).toBeCloseTo(0.125, 3);
    expect(hi).toBeCloseTo(0.509, 3);
    // 0 of 18 is not "0% for sure".
    expect(wilson(0, 18)[0]).toBe(0);
    expect(wilson(0, 18)[1]).toBeCloseTo(0.176, 3);
    expect(wilson(18, 18)[1]).toBe(1);
  });

  it("narrows as the sample grows, around the same rate", () => {
    const small = wilson(2, 40);
    const large = wilson(500, 10_000);
    expect(small[0]).toBeLessThan(0.05);
    expect(small[1]).toBeGreaterThan(0.05);
    expect(large[1] - large[0]).toBeLessThan(0.01);
    expect(large[0]).toBeLessThan(0.05);
    expect(large[1]).toBeGreaterThan(0.05);
  });

  it("says nothing without trials", () => {
    expect(wilson(0, 0)).toEqual([0, 1]);
  });
});

describe("quantileInterval", () => {
  /** n observations spread evenly over (0, 1 s], in buckets 0.1 s wide. */
  const even = (n: number) => Array.from({ length: 10 }, (_, i) => [(i + 1) / 10, (n * (i + 1)) / 10] as [number, number]).concat([[Number.POSITIVE_INFINITY, n]]);

  it("brackets the quantile, wide for few requests and narrow for many", () => {
    const few = quantileInterval(0.5, even(20))!;
    const many = quantileInterval(0.5, even(20_000))!;
    expect(few[0]).toBeLessThan(0.5);
    expect(few[1]).toBeGreaterThan(0.5);
    expect(few[1] - few[0]).toBeGreaterThan(0.3);
    expect(many[0]).toBeLessThan(0.5);
    expect(many[1]).toBeGreaterThan(0.5);
    expect(many[1] - many[0]).toBeLessThan(0.03);
  });

  it("reaches the top bucket for a p95 of 18 requests", () => {
    const [, hi] = quantileInterval(0.95, even(18))!;
    expect(hi).toBe(1);
  });

  it("is undefined without observations", () => {
    expect(quantileInterval(0.95, [[0.1, 0], [Number.POSITIVE_INFINITY, 0]])).toBeUndefined();
  });
});

describe("formatInterval", () => {
  it("writes rates in percent and times in milliseconds", () => {
    expect(formatInterval([0.125, 0.509], "ratio")).toBe("95% CI 13-51%");
    expect(formatInterval([0.001, 0.034], "ratio")).toBe("95% CI 0.1-3.4%");
    expect(formatInterval([262.4, 281.6], "ms")).toBe("95% CI 262-282ms");
  });
});
