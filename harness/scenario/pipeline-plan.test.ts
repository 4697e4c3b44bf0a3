import { describe, expect, it } from "vitest";
import { loadDeploymentSpec } from "../document/deployment-spec.js";
import { planPipeline } from "./pipeline-plan.js";

const spec = loadDeploymentSpec();

describe("the document's pipeline as a plan", () => {
  it("develop: development with smoke tests, then staging with integration tests, each on its own database, no gate", () => {
    expect(planPipeline(spec, "develop")).toEqual([
      { environment: "development", database: "agi_eval_dev", replicas: 1, check: "smoke" },
      { environment: "staging", database: "agi_eval_staging", replicas: 2, check: "integration" },
    ]);
  });

  it("main: the approval gate of approval-matrix.yml, then production with blue-green", () => {
    expect(planPipeline(spec, "main")).toEqual([
      { environment: "production", database: "agi_eval_prod", replicas: 3, check: "blue-green", gate: { minimumApprovals: 2, approvers: ["senior-engineers", "security-team"] } },
    ]);
  });

  it("feature and hotfix branches as the environment table has them; any other branch is refused with the ones it knows", () => {
    expect(planPipeline(spec, "feature/login").map((s) => s.environment)).toEqual(["development"]);
    expect(planPipeline(spec, "hotfix/cve-1").map((s) => [s.environment, s.gate?.minimumApprovals])).toEqual([["production", 2]]);
    expect(() => planPipeline(spec, "release/2")).toThrow(expect.objectContaining({ code: "SCENARIO_INVALID", message: 'no pipeline deploys branch "release/2"', hint: "the document's pipeline deploys develop, main, feature/*, hotfix/*" }));
    expect(() => planPipeline(spec, "feature/")).toThrow(/no pipeline deploys branch/);
  });
});
