import { describe, expect, it } from "vitest";
import { satisfies } from "./comparison.js";
import { loadDeploymentSpec } from "./deployment-spec.js";
import { STRATEGIES } from "../model/strategy.js";
import { stagesFor } from "./stages.js";

const spec = loadDeploymentSpec();

describe("stagesFor", () => {
  it("knows canary and blue-green", () => {
    expect(STRATEGIES).toEqual(["canary", "blue-green"]);
  });

  it("gives the document's canary stages with their success criteria", () => {
    expect(stagesFor("canary", spec)).toEqual([
      {
        name: "canary-10",
        percentage: 10,
        durationMs: 600_000,
        criteria: {
          errorRate: { op: "<", value: 0.01, unit: "ratio", text: "<1%" },
          responseTime: { op: "<", value: 500, unit: "ms", text: "<500ms" },
        },
      },
      {
        name: "canary-50",
        percentage: 50,
        durationMs: 900_000,
        criteria: {
          errorRate: { op: "<", value: 0.005, unit: "ratio", text: "<0.5%" },
          responseTime: { op: "<", value: 300, unit: "ms", text: "<300ms" },
        },
      },
      { name: "full-deployment", percentage: 100, durationMs: 0, criteria: {} },
    ]);
  });

  it("gives the document's blue-green shifts, each held to the rollback threshold as an error-rate criterion", () => {
    const criteria = { errorRate: { op: "<=", value: 0.05, unit: "ratio", text: "<=5%" } };
    expect(stagesFor("blue-green", spec)).toEqual([
      { name: "shift-10", percentage: 10, durationMs: 300_000, criteria },
      { name: "shift-50", percentage: 50, durationMs: 600_000, criteria },
      { name: "shift-100", percentage: 100, durationMs: 0, criteria },
    ]);
  });

  it("lets exactly the threshold pass a blue-green shift, since only an error rate above it rolls back", () => {
    const criterion = stagesFor("blue-green", spec)[0]!.criteria.errorRate!;
    expect(satisfies(criterion, 0.05)).toBe(true);
    expect(satisfies(criterion, 0.0501)).toBe(false);
  });

  it("follows a scenario's overrides", () => {
    const overridden = loadDeploymentSpec({
      value: { blue_green: { rollback_threshold: 7, traffic_shift: [{ percentage: 25, duration: 30 }, { percentage: 100, duration: 0 }] } },
      file: "scenarios/example.yaml",
      path: "spec",
    });
    const stages = stagesFor("blue-green", overridden);
    expect(stages.map((s) => [s.name, s.percentage, s.durationMs])).toEqual([
      ["shift-25", 25, 30_000],
      ["shift-100", 100, 0],
    ]);
    // The criterion reads as the threshold was written (not "<=7.000000000000001%").
    expect(stages[0]!.criteria.errorRate).toEqual({ op: "<=", value: 0.07, unit: "ratio", text: "<=7%" });
  });

  it("returns fresh stage objects, not the spec's own", () => {
    const a = stagesFor("canary", spec);
    const b = stagesFor("canary", spec);
    expect(a).toEqual(b);
    expect(a[0]).not.toBe(b[0]);
  });
});
