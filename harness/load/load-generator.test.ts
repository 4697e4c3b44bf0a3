import { describe, expect, it } from "vitest";
import { TimeScale } from "../common/clock.js";
import { MIN_RAMP_SEGMENT_MS, planFor, plannedCount, plannedWallMs } from "./load-generator.js";
import { plannedRequests, type LoadProfile } from "./profile.js";

const BASE = "http://127.0.0.1:8000";
const REAL = new TimeScale(1);

function profile(partial: Partial<LoadProfile>): LoadProfile {
  return {
    name: "p",
    target: "stable",
    executor: "constant-arrival-rate",
    timeUnitMs: 1000,
    requests: [{ method: "GET", path: "/health", weight: 1 }],
    timeoutMs: 10_000,
    thresholds: [],
    ...partial,
  };
}

const ramp = (startRate: number, stages: Array<[number, number]>, extra: Partial<LoadProfile> = {}) =>
  profile({ executor: "ramping-arrival-rate", startRate, stages: stages.map(([target, durationMs]) => ({ target, durationMs })), ...extra });

describe("planFor", () => {
  it("turns a constant-arrival-rate profile into one segment, with the default cap", () => {
    const plan = planFor(profile({ rate: 200, durationMs: 30_000 }), BASE, REAL);
    expect(plan).toEqual({
      baseUrl: BASE,
      segments: [{ ratePerSecond: 200, durationMs: 30_000 }],
      requests: [{ method: "GET", path: "/health", weight: 1 }],
      timeoutMs: 10_000,
      maxRequests: 6700, // 6000 * 1.1 + 100
    });
    expect(plannedCount(plan)).toBe(6000);
    expect(plannedWallMs(plan)).toBe(30_000);
  });

  it("scales durations, never rates or the request timeout", () => {
    const plan = planFor(profile({ rate: 50, durationMs: 600_000, maxRequests: 1000 }), BASE, new TimeScale(0.01));
    expect(plan.segments).toEqual([{ ratePerSecond: 50, durationMs: 6000 }]);
    expect(plan.timeoutMs).toBe(10_000);
    expect(plan.maxRequests).toBe(1000);
    expect(plannedCount(plan)).toBe(300);
  });

  it("converts rates per timeUnit to rates per second", () => {
    expect(planFor(profile({ rate: 30, timeUnitMs: 60_000, durationMs: 10_000 }), BASE, REAL).segments).toEqual([{ ratePerSecond: 0.5, durationMs: 10_000 }]);
    expect(planFor(profile({ rate: 1, timeUnitMs: 100, durationMs: 1000 }), BASE, REAL).segments).toEqual([{ ratePerSecond: 10, durationMs: 1000 }]);
  });

  it("approximates a ramp by 10 constant segments per stage at their mid-point rates", () => {
    const plan = planFor(ramp(0, [[100, 5000]]), BASE, REAL);
    expect(plan.segments).toHaveLength(10);
    expect(plan.segments.map((s) => s.ratePerSecond)).toEqual([5, 15, 25, 35, 45, 55, 65, 75, 85, 95]);
    expect(plan.segments.every((s) => s.durationMs === 500)).toBe(true);
    // The mid-point rate is the segment's mean rate: the count matches the linear ramp's.
    expect(plannedCount(plan)).toBe(250);
    expect(plannedCount(plan)).toBe(plannedRequests(ramp(0, [[100, 5000]])));
  });

  it("uses segments of at most 1 s of wall time when that gives more than 10", () => {
    const plan = planFor(ramp(10, [[100, 30_000]]), BASE, REAL);
    expect(plan.segments).toHaveLength(30);
    expect(plan.segments.every((s) => s.durationMs === 1000)).toBe(true);
    expect(plan.segments[0]!.ratePerSecond).toBe(11.5);
    expect(plan.segments[29]!.ratePerSecond).toBe(98.5);
    expect(plannedCount(plan)).toBe(1650);
  });

  it("merges a flat stage into one segment and keeps the total duration exact", () => {
    const plan = planFor(ramp(10, [[100, 10_000], [100, 20_000], [0, 3333]]), BASE, REAL);
    expect(plan.segments).toHaveLength(10 + 1 + 10);
    expect(plan.segments[10]).toEqual({ ratePerSecond: 100, durationMs: 20_000 });
    expect(plannedWallMs(plan)).toBe(33_333);
    expect(plan.segments.slice(11).every((s) => s.durationMs === 333 || s.durationMs === 334)).toBe(true);
    expect(plan.segments.every((s) => Number.isInteger(s.durationMs))).toBe(true);
  });

  it("merges adjacent segments of the same rate across stages", () => {
    const plan = planFor(ramp(50, [[50, 1000], [50, 2000]]), BASE, REAL);
    expect(plan.segments).toEqual([{ ratePerSecond: 50, durationMs: 3000 }]);
  });

  it(`never makes ramp segments shorter than ${MIN_RAMP_SEGMENT_MS} ms of wall time`, () => {
    const fast = planFor(ramp(0, [[100, 30_000]]), BASE, new TimeScale(0.01)); // 300 ms of wall time
    expect(fast.segments.map((s) => s.durationMs)).toEqual([100, 100, 100]);
    expect(fast.segments.map((s) => s.ratePerSecond)).toEqual([16.667, 50, 83.333]);
    const tiny = planFor(ramp(0, [[100, 5000]]), BASE, new TimeScale(0.01)); // 50 ms
    expect(tiny.segments).toEqual([{ ratePerSecond: 50, durationMs: 50 }]);
  });

  it("keeps a ramp to 0 as idle time (rate 0 sends nothing)", () => {
    const plan = planFor(ramp(0, [[0, 2000], [20, 1000]]), BASE, REAL);
    expect(plan.segments[0]).toEqual({ ratePerSecond: 0, durationMs: 2000 });
    expect(plannedWallMs(plan)).toBe(3000);
    expect(plannedCount(plan)).toBe(10);
  });

  it("caps the planned count at maxRequests", () => {
    expect(plannedCount(planFor(profile({ rate: 100, durationMs: 10_000, maxRequests: 150 }), BASE, REAL))).toBe(150);
  });

  it("copies the requests so a generator cannot change the profile", () => {
    const p = profile({ rate: 1, durationMs: 1000, requests: [{ method: "POST", path: "/api/evaluations", body: { a: 1 }, weight: 3 }] });
    const plan = planFor(p, BASE, REAL);
    plan.requests[0]!.weight = 9;
    expect(p.requests[0]!.weight).toBe(3);
  });
});
