import { describe, expect, it } from "vitest";
import type { AccessCheck, AccessReview } from "../platforms/platform.js";
import type { AccessExpectation } from "../scenario/scenario.js";
import { clusterSources } from "../../test/support/evidence.js";
import { accessKey } from "./access-expectation.js";
import { collectEvidence, describeExpectation, judge, type Evidence } from "./checker.js";

const denied: AccessExpectation = { id: "no-secrets", kind: "access", as: "service", verb: "get", resource: "secrets", allowed: false };
const review = (over: Partial<AccessReview> = {}): AccessReview => ({ as: "service", verb: "get", resource: "secrets", namespace: "run-1", user: "system:serviceaccount:run-1:agi-eval-sandbox", allowed: false, reason: "", ...over });
const evidence = (answers: Array<[AccessExpectation, AccessReview | { error: string }]>): Evidence => ({
  events: [],
  versions: new Map(),
  metrics: new Map(),
  access: new Map(answers.map(([e, r]) => [accessKey(e), r])),
});

describe("judge: access (SubjectAccessReviews)", () => {
  it("holds when the API server answers as expected, and names the user, the verb and the namespace", () => {
    const j = judge(denied, evidence([[denied, review()]]));
    expect(j).toMatchObject({ held: true, evidence: "SubjectAccessReview: system:serviceaccount:run-1:agi-eval-sandbox may not get secrets in run-1; expected denied" });
    expect(describeExpectation(denied)).toBe("the reference service's ServiceAccount may not get secrets in the run's namespace (access_control: rbac)");
    const may: AccessExpectation = { ...denied, id: "may-patch", as: "harness", verb: "patch", group: "apps", resource: "deployments", allowed: true };
    expect(judge(may, evidence([[may, review({ as: "harness", verb: "patch", group: "apps", resource: "deployments", user: "system:serviceaccount:run-1:gameday-harness", allowed: true, reason: 'RBAC: allowed by RoleBinding "gameday-harness/run-1"' })]]))).toMatchObject({
      held: true,
      evidence: 'SubjectAccessReview: system:serviceaccount:run-1:gameday-harness MAY patch apps/deployments in run-1 (RBAC: allowed by RoleBinding "gameday-harness/run-1"); expected allowed',
    });
  });

  it("fails when the account may do what it must not (or may not do what it must), when the review failed, or when none was made", () => {
    expect(judge(denied, evidence([[denied, review({ allowed: true })]])).evidence).toMatch(/^MISMATCH SubjectAccessReview: \S+ MAY get secrets in run-1; expected denied$/);
    expect(judge(denied, evidence([[denied, { error: "forbidden" }]]))).toMatchObject({ held: false, evidence: "the API server could not be asked whether the service's account may get secrets in the run's namespace: forbidden" });
    expect(judge(denied, { events: [], versions: new Map(), metrics: new Map() }).held).toBe(false);
  });

  it("asks each question once, in the namespace named or the run's", async () => {
    const asked: AccessCheck[] = [];
    const elsewhere: AccessExpectation = { ...denied, id: "kube-system", as: "harness", namespace: "kube-system" };
    const sources = clusterSources({
      reviewAccess: async (check: AccessCheck): Promise<AccessReview> => {
        asked.push(check);
        return review({ ...check, namespace: check.namespace ?? "run-1" });
      },
    });
    const collected = await collectEvidence([denied, { ...denied, id: "again" }, elsewhere], sources);
    expect(asked).toEqual([
      { as: "service", verb: "get", resource: "secrets" },
      { as: "harness", verb: "get", resource: "secrets", namespace: "kube-system" },
    ]);
    expect(collected.access?.size).toBe(2);
  });
});
