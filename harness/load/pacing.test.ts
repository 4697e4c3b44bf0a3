import { describe, expect, it } from "vitest";
import { Pacing } from "./pacing.js";

describe("Pacing", () => {
  const p = new Pacing([
    { ratePerSecond: 0, durationMs: 5000 },
    { ratePerSecond: 10, durationMs: 2000 },
    { ratePerSecond: 100, durationMs: 1000 },
  ]);

  it("counts what was asked from the first request, leading idle time dropped", () => {
    expect(p.askedBetween(0, 1000)).toBe(10);
    expect(p.askedBetween(1000, 2500)).toBe(60);
    expect(p.askedBetween(2000, 3000)).toBe(100);
    expect(p.askedBetween(3000, 4000)).toBe(0);
  });

  it("says when each request was due", () => {
    expect(p.dueAt(0)).toBe(0);
    expect(p.dueAt(5)).toBe(500);
    expect(p.dueAt(20)).toBe(2000);
    expect(p.dueAt(21)).toBe(2010);
    expect(p.dueAt(120)).toBeUndefined();
  });

  it("asks nothing of a plan that sends nothing", () => {
    const none = new Pacing([{ ratePerSecond: 0, durationMs: 1000 }]);
    expect(none.askedBetween(0, 1000)).toBe(0);
    expect(none.dueAt(0)).toBeUndefined();
  });
});
