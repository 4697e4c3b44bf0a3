import { describe, expect, it } from "vitest";
import { TimeScale } from "../common/clock.js";
import { loadScenario } from "../scenario/load-scenario.js";
import { sampleSizeWarnings } from "./sample-size.js";

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

  it("under significant, warns when even the longest extension cannot hold the requests that tell a stage's error-rate thresholds", () => {
    const canary = loadScenario("scenarios/canary-fail.yaml");
    const warnings = sampleSizeWarnings({ ...canary, strategy: { ...canary.strategy!, decision: "significant" } }, new TimeScale(canary.timeScale));
    const tell = warnings.filter((w) => w.includes("that tell a candidate at twice or half"));
    expect(tell.length).toBeGreaterThan(0);
    expect(tell[0]).toMatch(/strategy stage canary-10 \(10% of the load\): even observed 21 times its 6\.0 s, it holds about \d+ of the candidate's API requests at 200 req\/s, under the \d+ that tell a candidate at twice or half <1% \(decision: significant\).*a load of at least \d+ req\/s would be enough$/);
    // The shipped blue-green's shift-10 holds enough at 200 req/s once extended: nothing to say about it.
    const bluegreen = loadScenario("scenarios/bluegreen-fail.yaml");
    const quiet = sampleSizeWarnings({ ...bluegreen, strategy: { ...bluegreen.strategy!, decision: "significant" } }, new TimeScale(bluegreen.timeScale));
    expect(quiet.filter((w) => w.includes("shift-10") && w.includes("that tell"))).toEqual([]);
  });
});
