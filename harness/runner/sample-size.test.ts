import { describe, expect, it } from "vitest";
import { wilson } from "../analysis/intervals.js";
import { TimeScale } from "../common/clock.js";
import { loadScenario } from "../scenario/load-scenario.js";
import { requestsToShowBelow, sampleSizeWarnings } from "./sample-size.js";

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

describe("sampleSizeWarnings", () => {
  it("says nothing for the shipped canary at its own time scale", () => {
    const s = loadScenario("scenarios/canary-fail.yaml");
    expect(sampleSizeWarnings(s, new TimeScale(s.timeScale))).toEqual([]);
  });

  it("warns, with the rate that would do, when a stage's windows cannot hold minRequests", () => {
    const s = loadScenario("scenarios/canary-fail.yaml");
    const strategy = { ...s.strategy!, minRequests: 100_000 };
    const warnings = sampleSizeWarnings({ ...s, strategy }, new TimeScale(s.timeScale));
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings[0]).toMatch(/^scenarios\/canary-fail\.yaml: strategy stage canary-10 \(10% of the load\): an analysis window of [\d.]+ s holds about \d+ of the candidate's API requests at \d+ req\/s, under minRequests \(100000\): the stage would end inconclusive; a load of at least \d+ req\/s would give it enough$/);
  });

  it("under significant, counts what a clean window needs to show the error-rate criterion", () => {
    const s = loadScenario("scenarios/canary-fail.yaml");
    const warnings = sampleSizeWarnings({ ...s, strategy: { ...s.strategy!, decision: "significant" } }, new TimeScale(s.timeScale));
    expect(warnings.some((w) => /error-free requests that show <0\.5% at 95% \(decision: significant\)/.test(w))).toBe(true);
  });
});
