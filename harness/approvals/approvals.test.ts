import { describe, expect, it } from "vitest";
import { loadDeploymentSpec } from "../document/deployment-spec.js";
import { judgeApprovals, type Approval } from "./approvals.js";

const spec = loadDeploymentSpec();
const production = spec.approvals.get("production");
const started = new Date("2026-12-02T10:00:00Z");
const a = (by: string, group: string, o: Partial<Approval> = {}): Approval => ({ release: "good-2", by, group, at: "2026-12-02T09:00:00.000Z", ...o });
const judge = (approvals: Approval[], environment = "production") =>
  judgeApprovals(spec.approvals.get(environment), { environment, release: "good-2", deploymentStartedAt: started, approvals });

describe("the approval gate (approval-matrix.yml)", () => {
  it("reads the document's matrix: production needs 2 from senior-engineers or security-team; development and staging need none", () => {
    expect(production).toMatchObject({ required: true, approvers: ["senior-engineers", "security-team"], minimumApprovals: 2 });
    for (const env of ["development", "staging"]) expect(judge([], env)).toMatchObject({ required: false, granted: true, reason: `${env} requires no approval (approval-matrix.yml)` });
  });

  it("opens with two approvals from two people of the listed groups, given before the deployment", () => {
    const d = judge([a("ana", "senior-engineers"), a("bo", "security-team")]);
    expect(d).toMatchObject({ granted: true, refused: [], reason: "approved by ana (senior-engineers), bo (security-team): 2 of the 2 required" });
    expect(judge([a("ana", "senior-engineers"), a("cy", "senior-engineers")]).granted).toBe(true);
  });

  it("stays closed with too few approvals, and says how many it has", () => {
    expect(judge([])).toMatchObject({ granted: false, reason: "0 of the 2 approvals required from senior-engineers or security-team" });
    expect(judge([a("ana", "senior-engineers")]).reason).toBe("1 of the 2 approvals required from senior-engineers or security-team (counted: ana (senior-engineers))");
  });

  it("does not count a second approval from the same person, one from outside the groups, one for another release, or one given after the deployment started", () => {
    const cases: Array<[Approval, string, string]> = [
      [a("ana", "security-team", { at: "2026-12-02T09:30:00.000Z" }), "same-person", "ana approved already: a second approval from the same person does not count"],
      [a("eve", "interns"), "outside-groups", "eve's group interns is not one of the approver groups (senior-engineers, security-team)"],
      [a("bo", "security-team", { release: "good-3" }), "other-release", "it approves release good-3, not good-2"],
      [a("bo", "security-team", { environment: "staging" }), "other-environment", "it approves staging, not production"],
      [a("bo", "security-team", { at: "2026-12-02T10:00:01.000Z" }), "after-start", "it was given at 2026-12-02T10:00:01.000Z, after the deployment started at 2026-12-02T10:00:00.000Z"],
    ];
    for (const [second, code, reason] of cases) {
      const d = judge([a("ana", "senior-engineers"), second]);
      expect(d.granted, reason).toBe(false);
      expect(d.refused).toEqual([{ approval: second, code, reason }]);
      expect(d.reason).toContain(`not counted: ${reason}`);
    }
  });

  it("counts an approval naming the gate's environment, or none", () => {
    expect(judge([a("ana", "senior-engineers", { environment: "production" }), a("bo", "security-team")]).granted).toBe(true);
  });

  it("counts an approval given at the very moment the deployment started, and not one a millisecond later (boundary)", () => {
    expect(judge([a("ana", "senior-engineers"), a("bo", "security-team", { at: started.toISOString() })]).granted).toBe(true);
    expect(judge([a("ana", "senior-engineers"), a("bo", "security-team", { at: new Date(started.getTime() + 1).toISOString() })]).granted).toBe(false);
  });

  it("follows the matrix it is given: three approvals where the document asks for three", () => {
    const three = { required: true, approvers: ["senior-engineers", "security-team"], minimumApprovals: 3 };
    const d = judgeApprovals(three, { environment: "production", release: "good-2", deploymentStartedAt: started, approvals: [a("ana", "senior-engineers"), a("bo", "security-team")] });
    expect(d).toMatchObject({ granted: false, reason: expect.stringMatching(/^2 of the 3 approvals required/) });
  });
});
