import { describe, expect, it } from "vitest";
import { saturationExplains } from "./inconclusive.js";

const failed = { id: "x", description: "d", held: false, evidence: "p95 2110ms FAILED" };

describe("saturationExplains", () => {
  it("makes a failed timing expectation inconclusive when its evidence overlapped saturation", () => {
    expect(saturationExplains("thresholds", failed, { duringEvidence: "host CPU 100% busy" })).toBe("the machine running the harness was saturated while this was measured (host CPU 100% busy)");
    expect(saturationExplains("thresholds", failed, {})).toBeUndefined();
  });

  it("leaves a held expectation held, and an expectation saturation cannot explain failed", () => {
    expect(saturationExplains("thresholds", { ...failed, held: true }, { duringEvidence: "busy" })).toBeUndefined();
    expect(saturationExplains("deployment", failed, { duringEvidence: "busy", strategy: "busy" })).toBeUndefined();
    expect(saturationExplains("restored", failed, { duringEvidence: "busy" })).toBeUndefined();
  });

  it("makes an expectation that failed only on timing evidence inconclusive when that overlapped saturation", () => {
    expect(saturationExplains("traffic", { ...failed, timingOnly: true }, { duringEvidence: "host CPU 100% busy" })).toMatch(/^the machine running the harness was saturated/);
    expect(saturationExplains("traffic", failed, { duringEvidence: "host CPU 100% busy" })).toBeUndefined();
  });

  it("makes a decision expectation inconclusive only when the strategy stopped for saturation", () => {
    expect(saturationExplains("promoted", failed, { duringEvidence: "busy" })).toBeUndefined();
    expect(saturationExplains("promoted", failed, { strategy: "canary-10: host CPU" })).toMatch(/^the strategy stopped inconclusive because the machine running the harness was saturated/);
  });
});
