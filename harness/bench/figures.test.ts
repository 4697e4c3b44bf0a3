import { describe, expect, it } from "vitest";
import { median, medianRatio } from "./figures.js";

describe("median", () => {
  it("takes the middle value of an odd count, whatever the order", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([10, 1, 100, 5, 7])).toBe(7);
  });

  it("averages the two middle values of an even count", () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it("leaves its input in place", () => {
    const runs = [3, 1, 2];
    median(runs);
    expect(runs).toEqual([3, 1, 2]);
  });
});

describe("medianRatio", () => {
  it("is the median of the pairs' ratios, not the ratio of the medians", () => {
    // The machine slowed down during the third pair: both sides took longer, their ratio did not change.
    expect(medianRatio([10, 11, 40], [10, 10, 40])).toBe(1);
    expect(median([10, 11, 40]) / median([10, 10, 40])).toBeCloseTo(1.1);
  });

  it("refuses runs that do not pair up", () => {
    expect(() => medianRatio([1, 2], [1])).toThrow(RangeError);
    expect(() => medianRatio([], [])).toThrow(RangeError);
  });
});
