import { describe, expect, it } from "vitest";
import { wilson } from "./intervals.js";
import { binomialCdf, requestsToShowBelow, requestsToTell } from "./sample-size.js";

describe("binomialCdf", () => {
  it("sums the binomial's probabilities, without underflow at thousands of trials", () => {
    expect(binomialCdf(2, 10, 0.5)).toBeCloseTo(56 / 1024, 12);
    expect(binomialCdf(-1, 10, 0.5)).toBe(0);
    expect(binomialCdf(10, 10, 0.5)).toBe(1);
    expect(binomialCdf(80, 8000, 0.01)).toBeGreaterThan(0.5);
    expect(binomialCdf(80, 8000, 0.01)).toBeLessThan(0.56);
  });
});

describe("requestsToShowBelow", () => {
  it("is the first sample size whose error-free interval is under the threshold", () => {
    for (const t of [0.01, 0.005, 0.05]) {
      const n = requestsToShowBelow(t);
      expect(wilson(0, n)[1]).toBeLessThan(t);
      expect(wilson(0, n - 1)[1]).toBeGreaterThanOrEqual(t);
    }
    expect(requestsToShowBelow(0.01)).toBe(381);
  });
});

describe("requestsToTell", () => {
  it("needs more requests the smaller the threshold, about in inverse proportion", () => {
    const n5 = requestsToTell(0.05);
    const n1 = requestsToTell(0.01);
    expect(n5).toBeGreaterThan(requestsToShowBelow(0.05));
    expect(n1 / n5).toBeGreaterThan(4);
    expect(n1 / n5).toBeLessThan(6);
  });

  it("clears both sides by their expected counts", () => {
    for (const t of [0.05, 0.01, 0.005, 0.25]) {
      const n = requestsToTell(t);
      expect(wilson(2 * t * n, n)[0]).toBeGreaterThan(t);
      expect(wilson((t / 2) * n, n)[1]).toBeLessThan(t);
    }
  });

  it("shows a simulated candidate at twice the threshold beyond it, and one at half of it within, in at least 19 of 20 samples of that size, and not at half that size", () => {
    // mulberry32: a small seeded generator good enough for counting.
    let seed = 7;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
    };
    const t = 0.05;
    const shown = (n: number, p: number, clear: (k: number) => boolean) => {
      let hits = 0;
      for (let i = 0; i < 400; i++) {
        let k = 0;
        for (let j = 0; j < n; j++) if (random() < p) k++;
        if (clear(k)) hits++;
      }
      return hits / 400;
    };
    const n = requestsToTell(t);
    // 95% exactly, seen through 400 draws (about one point of sampling error).
    expect(shown(n, 2 * t, (k) => wilson(k, n)[0] > t)).toBeGreaterThanOrEqual(0.93);
    expect(shown(n, t / 2, (k) => wilson(k, n)[1] < t)).toBeGreaterThanOrEqual(0.93);
    const half = Math.floor(n / 2);
    expect(shown(half, t / 2, (k) => wilson(k, half)[1] < t)).toBeLessThan(0.85);
  });
});
