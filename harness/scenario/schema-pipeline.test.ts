import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScenarioFiles } from "../../test/support/scenario-files.js";
import { loadDeploymentSpec } from "../document/deployment-spec.js";
import { loadScenario } from "./load-scenario.js";
import { PIPELINE_TIME_SCALE } from "./schema-pipeline.js";

const files = new ScenarioFiles();
beforeAll(() => files.open("gameday-pipeline-"));
afterAll(() => files.close());

const MAIN = `
name: release-main
description: a release through the production gate
pipeline:
  branch: main
  release: v3.0.0
  version: good-2
  production: good-1
  approvals:
    - { by: ana, group: senior-engineers }
    - { by: bo, group: security-team, at: -2h, comment: ok }
    - { by: cy, group: security-team, release: v2.9.0, at: +5m }
expect:
  - id: released
    pipeline: { outcome: succeeded, stages: { production: passed } }
  - id: gate
    gate: { environment: production, granted: true }
`;

const DEVELOP = `
name: release-develop
description: a push to develop
pipeline: { branch: develop, release: v3.0.0, version: good-2 }
expect:
  - id: through
    pipeline: { outcome: succeeded, untouched: [production] }
`;

describe("a pipeline scenario file", () => {
  it("plans its branch's stages from the document, each a scenario on its environment's overlay in kind", () => {
    const s = loadScenario(files.write(MAIN));
    const p = s.pipeline!;
    expect(s.platform).toBe("kind");
    expect(s.timeScale).toBe(PIPELINE_TIME_SCALE);
    expect(p).toMatchObject({ branch: "main", release: "v3.0.0", version: "good-2", production: "good-1", trailApprovals: true });
    expect(p.stages.map((st) => [st.environment, st.check, st.database, st.gate?.minimumApprovals])).toEqual([["production", "blue-green", "agi_eval_prod", 2]]);
    const prod = p.stages[0]!.scenario;
    expect(prod).toMatchObject({ name: "release-main-production", environment: "production", platform: "kind", strategy: { name: "blue-green" } });
    expect([...prod.versions.values()].map((v) => [v.role, v.tag])).toEqual([["stable", "good-1"], ["candidate", "good-2"]]);
    expect(prod.expectations.map((e) => e.kind)).toEqual(["rollback", "promoted", "health"]);
    expect(p.expectations.map((e) => e.kind)).toEqual(["pipeline", "gate"]);
  });

  it("reads listed approvals with their offsets from the deployment's start (a minute before when not given)", () => {
    const p = loadScenario(files.write(MAIN)).pipeline!;
    expect(p.approvals).toEqual([
      { by: "ana", group: "senior-engineers", atOffsetMs: -60_000 },
      { by: "bo", group: "security-team", atOffsetMs: -7_200_000, comment: "ok" },
      { by: "cy", group: "security-team", atOffsetMs: 300_000, release: "v2.9.0" },
    ]);
  });

  it("develop: smoke tests in development and integration tests in staging, with the environment's replicas and the document's first canary thresholds", () => {
    const p = loadScenario(files.write(DEVELOP)).pipeline!;
    const [dev, staging] = p.stages.map((st) => st.scenario);
    const spec = loadDeploymentSpec();
    expect(dev!.versions.get("stable")).toMatchObject({ tag: "good-2", replicas: spec.environments.get("development")!.replicas });
    expect(staging!.versions.get("stable")).toMatchObject({ tag: "good-2", replicas: spec.environments.get("staging")!.replicas });
    expect(dev!.expectations.map((e) => e.id)).toEqual(["deployment-matches-document", "alive", "ready", "api-answers", "api-calls-succeed"]);
    expect(dev!.load?.thresholds ?? []).toEqual([]);
    const first = spec.canary.stages[0]!.successCriteria;
    expect(staging!.load!.thresholds.map((t) => `${t.metric}:${t.expression}`)).toEqual([`http_req_failed:rate${first.errorRate!.op}${first.errorRate!.value}`, `http_req_duration:p(95)${first.responseTime!.op}${first.responseTime!.value}`]);
    expect(staging!.expectations.at(-1)).toMatchObject({ kind: "thresholds", passed: true });
  });

  it("follows the document's overrides: thresholds from spec: reach the staging stage", () => {
    const p = loadScenario(files.write(DEVELOP.replace("pipeline:", "spec: { canary: { stages: [{ name: c, traffic_percentage: 10, duration: 600, success_criteria: { error_rate: '<2%', response_time: '<800ms' } }, { name: all, traffic_percentage: 100, duration: 0 }] } }\npipeline:"))).pipeline!;
    expect(p.stages[1]!.scenario.load!.thresholds.map((t) => t.expression)).toEqual(["rate<0.02", "p(95)<800"]);
  });

  it("names every mistake with its path, and starts nothing", () => {
    const r = files.loadError(`
name: bad
description: x
platform: docker
pipeline:
  branch: main
  release: v1
  version: good-9
  approvals:
    - { by: ana, group: g, at: 5m }
expect:
  - id: a
    pipeline: { stoppedAt: staging }
  - id: b
    gate: { environment: staging, granted: true, refusals: [nope] }
  - id: c
    pipeline: {}
    gate: { environment: production, granted: true }
`);
    expect(r.lines).toHaveLength(9);
    expect(r.lines).toEqual(expect.arrayContaining([
      "platform must be kind: a pipeline deploys each environment's overlay on kind",
      "pipeline is missing: branch main deploys to production with blue-green, from the version production runs now (e.g. production: good-1)".replace("pipeline is", "pipeline.production is"),
      expect.stringMatching(/^pipeline\.version must be a version of the reference service/),
      'pipeline.approvals[0].at must be a signed duration from the deployment\'s start like "-30m" (before) or "+5m" (after), got "5m"',
      'expect[0].pipeline.stoppedAt must be an environment branch main deploys to (production), got "staging"',
      'expect[1].gate.environment must be an environment with an approval gate on branch main (production), got "staging"',
      expect.stringMatching(/^expect\[1\]\.gate\.refusals\[0\] must be one of other-release, /),
      "expect[2] must have exactly one of pipeline, gate (a pipeline scenario's expectations); got pipeline and gate",
      "expect[2].pipeline must say something of the pipeline: outcome, stoppedAt, stages, untouched or rolledBack",
    ]));
  });

  it("says expect: must be a list when it is a mapping (the unique-ids check reads it as written)", () => {
    expect(files.loadError(DEVELOP.replace(/expect:[\s\S]*$/, "expect: { a: 1 }\n")).lines).toEqual(["expect must be a list, got a mapping"]);
  });

  it("refuses a branch the document's pipeline does not deploy, naming those it does", () => {
    const r = files.loadError(DEVELOP.replace("branch: develop", "branch: release/3"));
    expect(r.lines).toContain('pipeline.branch no pipeline deploys branch "release/3": the document\'s pipeline deploys develop, main, feature/*, hotfix/*');
  });
});
