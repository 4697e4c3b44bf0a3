import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { HarnessError } from "../common/errors.js";
import { satisfies } from "./comparison.js";
import { deepMerge, loadDeploymentSpec, parseCpu, parseMemory, readDeploymentSpec, SPEC_FILE, type DeploymentSpec } from "./deployment-spec.js";

const GI = 1024 ** 3;
const SCENARIO = "scenarios/example.yaml";

function withOverride(value: unknown): DeploymentSpec {
  return loadDeploymentSpec({ value, file: SCENARIO, path: "spec" });
}

/** The HarnessError an override is rejected with. */
function rejection(value: unknown): HarnessError {
  try {
    withOverride(value);
  } catch (e) {
    if (e instanceof HarnessError) return e;
    throw e;
  }
  throw new Error(`expected the override ${JSON.stringify(value)} to be rejected`);
}

/** The document's three canary stages, as written, for overrides (lists replace, so an override repeats them). */
function canaryStages() {
  return [
    { name: "canary-10", traffic_percentage: 10, duration: 600, success_criteria: { error_rate: "<1%", response_time: "<500ms" } },
    { name: "canary-50", traffic_percentage: 50, duration: 900, success_criteria: { error_rate: "<0.5%", response_time: "<300ms" } },
    { name: "full-deployment", traffic_percentage: 100, duration: 0 },
  ];
}

describe("loadDeploymentSpec on the deployment document", () => {
  const spec = loadDeploymentSpec();

  it("has the three environments with their replicas and resources", () => {
    expect([...spec.environments.keys()]).toEqual(["development", "staging", "production"]);
    const env = (name: string) => {
      const e = spec.environments.get(name);
      if (!e) throw new Error(`no environment ${name}`);
      return e;
    };
    expect(env("development")).toMatchObject({ name: "development", replicas: 1, cpu: { text: "500m", value: 500 }, memory: { text: "1Gi", value: GI } });
    expect(env("staging")).toMatchObject({ name: "staging", replicas: 2, cpu: { text: "1000m", value: 1000 }, memory: { text: "2Gi", value: 2 * GI } });
    expect(env("production")).toMatchObject({ name: "production", replicas: 3, cpu: { text: "2000m", value: 2000 }, memory: { text: "4Gi", value: 4 * GI } });
    expect(env("production")).toMatchObject({ database: "agi_eval_prod", autoDeploy: false, approvalRequired: true });
    expect(env("development")).toMatchObject({ database: "agi_eval_dev", autoDeploy: true, approvalRequired: false });
  });

  it("has the blue-green traffic shifts, health check and rollback threshold", () => {
    expect(spec.blueGreen.enabled).toBe(true);
    expect(spec.blueGreen.trafficShift).toEqual([
      { name: "shift-10", percentage: 10, durationMs: 300_000 },
      { name: "shift-50", percentage: 50, durationMs: 600_000 },
      { name: "shift-100", percentage: 100, durationMs: 0 },
    ]);
    expect(spec.blueGreen.healthCheckPath).toBe("/health");
    expect(spec.blueGreen.healthCheckTimeoutMs).toBe(300_000);
    expect(spec.blueGreen.rollbackThreshold).toEqual({ op: ">", value: 0.05, unit: "ratio", text: ">5%" });
  });

  it("has the canary stages with their success criteria", () => {
    expect(spec.canary.enabled).toBe(true);
    expect(spec.canary.stages).toEqual([
      {
        name: "canary-10",
        percentage: 10,
        durationMs: 600_000,
        successCriteria: {
          errorRate: { op: "<", value: 0.01, unit: "ratio", text: "<1%" },
          responseTime: { op: "<", value: 500, unit: "ms", text: "<500ms" },
        },
      },
      {
        name: "canary-50",
        percentage: 50,
        durationMs: 900_000,
        successCriteria: {
          errorRate: { op: "<", value: 0.005, unit: "ratio", text: "<0.5%" },
          responseTime: { op: "<", value: 300, unit: "ms", text: "<300ms" },
        },
      },
      { name: "full-deployment", percentage: 100, durationMs: 0, successCriteria: {} },
    ]);
  });

  it("has the rollback triggers, strategy and who is notified", () => {
    expect(spec.rollback).toEqual({
      errorRate: { op: ">", value: 0.05, unit: "ratio", text: ">5%" },
      responseTime: { op: ">", value: 2000, unit: "ms", text: ">2s" },
      healthCheckFailures: 3,
      strategy: "immediate",
      notification: { slack: ["#deployment-alerts"], email: ["ops-team@your-org.com"] },
    });
  });

  it("refuses a notification that is not a Slack channel or an e-mail address", () => {
    const { problems } = readDeploymentSpec({ value: { rollback: { notification: [{ slack: "deployment-alerts" }, { email: ["ops-team"] }] } }, path: ["spec"] });
    const text = problems.map((p) => `${p.path.join(".")}: ${p.message}`).join("\n");
    expect(text).toContain('spec.rollback.notification.0.slack: must be a Slack channel like "#deployment-alerts"');
    expect(text).toContain("spec.rollback.notification.1.email.0: must be an e-mail address");
  });

  it("has the backup schedule", () => {
    expect(spec.backup.database).toEqual({ frequency: { every: "interval", ms: 3_600_000, text: "hourly" }, retentionDays: 30, encryption: true });
    expect(spec.backup.applicationData).toEqual({ frequency: { every: "interval", ms: 86_400_000, text: "daily" }, retentionDays: 90, compression: true });
    expect(spec.backup.configuration).toEqual({ frequency: { every: "on-change" }, retentionDays: 365, versioned: true });
  });

  it("has the performance settings and autoscaling", () => {
    expect(spec.performance.autoscaling).toEqual({ minReplicas: 3, maxReplicas: 10, targetCpu: 70, targetMemory: 80 });
    expect(spec.performance.parallelDeployments).toBe(true);
    expect(spec.performance.maxConcurrentPods).toBe(5);
    expect(spec.performance.readinessTimeoutMs).toBe(300_000);
    expect(spec.performance.resourceLimits).toEqual({ cpu: { text: "2000m", value: 2000 }, memory: { text: "4Gi", value: 4 * GI } });
  });

  it("has the approvals: production needs two of its approver groups", () => {
    expect(spec.approvals.get("production")).toEqual({ required: true, approvers: ["senior-engineers", "security-team"], minimumApprovals: 2 });
    expect(spec.approvals.get("staging")).toEqual({ required: false, autoDeploy: true, approvers: [], minimumApprovals: 0 });
    expect(spec.approvals.get("development")).toEqual({ required: false, approvers: [], minimumApprovals: 0 });
  });

  it("has the audit retentions in days", () => {
    expect(spec.audit.get("deployment_logs")).toEqual({ retentionDays: 730, flags: { encryption: true } });
    expect(spec.audit.get("approval_records")).toEqual({ retentionDays: 5 * 365, flags: { tamper_proof: true } });
    expect(spec.audit.get("security_scans")).toEqual({ retentionDays: 365, flags: { compliance_mapping: true } });
  });

  it("has the secrets management: Kubernetes Secrets, encrypted at rest, rotated every 30 days, under RBAC", () => {
    expect(spec.secrets).toEqual({ provider: "kubernetes-secrets", encryptedAtRest: true, rotationMs: 30 * 86_400_000, accessControl: "rbac" });
  });

  it("is the same with an override of nothing", () => {
    expect(loadDeploymentSpec({ value: undefined, file: SCENARIO, path: "spec" })).toEqual(spec);
    expect(withOverride({})).toEqual(spec);
  });
});

describe("loadDeploymentSpec with a scenario's overrides", () => {
  const base = loadDeploymentSpec();

  it("merges objects key by key: a new strategy keeps the document's triggers", () => {
    const spec = withOverride({ rollback: { strategy: "gradual" } });
    expect(spec.rollback.strategy).toBe("gradual");
    expect(spec.rollback.errorRate).toEqual(base.rollback.errorRate);
    expect(spec.rollback.responseTime).toEqual(base.rollback.responseTime);
    expect(spec.rollback.healthCheckFailures).toBe(3);
    expect(spec.canary).toEqual(base.canary);
    expect(spec.environments).toEqual(base.environments);
  });

  it("merges deeply: one trigger changes, the others stay", () => {
    const spec = withOverride({ rollback: { triggers: { error_rate: ">10%" } } });
    expect(spec.rollback.errorRate).toEqual({ op: ">", value: 0.1, unit: "ratio", text: ">10%" });
    expect(spec.rollback.responseTime).toEqual(base.rollback.responseTime);
    expect(spec.rollback.healthCheckFailures).toBe(3);
    expect(spec.rollback.strategy).toBe("immediate");
  });

  it("replaces lists instead of merging them", () => {
    const spec = withOverride({ canary: { stages: [{ name: "all-at-once", traffic_percentage: 100, duration: 60 }] } });
    expect(spec.canary.stages).toEqual([{ name: "all-at-once", percentage: 100, durationMs: 60_000, successCriteria: {} }]);
    expect(spec.canary.enabled).toBe(true);

    const bg = withOverride({ blue_green: { traffic_shift: [{ percentage: 100, duration: 30 }] } });
    expect(bg.blueGreen.trafficShift).toEqual([{ name: "shift-100", percentage: 100, durationMs: 30_000 }]);
    expect(bg.blueGreen.healthCheckPath).toBe("/health");
  });

  it("overrides the blue-green threshold as an error-rate comparison", () => {
    expect(withOverride({ blue_green: { rollback_threshold: 10 } }).blueGreen.rollbackThreshold).toEqual({ op: ">", value: 0.1, unit: "ratio", text: ">10%" });
    // The bound is the decimal written: an observed 0.7% (7 in 1000) does not breach a 0.7% threshold.
    const fine = withOverride({ blue_green: { rollback_threshold: 0.7 } }).blueGreen.rollbackThreshold;
    expect(fine.value).toBe(0.007);
    expect(satisfies(fine, 7 / 1000)).toBe(false);
  });

  it("rejects a success criterion without an operator, naming the file and the dotted path", () => {
    const stages = canaryStages();
    stages[0]!.success_criteria = { error_rate: "1%", response_time: "<500ms" };
    const e = rejection({ canary: { stages } });
    expect(e.code).toBe("SCENARIO_INVALID");
    expect(e.message).toContain(`${SCENARIO}: spec.canary.stages[0].success_criteria.error_rate`);
    expect(e.message).toContain('"1%"');
    expect(e.message.split("\n")).toHaveLength(1);
    expect(e.hint).toMatch(/spec: block/);
  });

  it("rejects a criterion in the wrong unit", () => {
    const stages = canaryStages();
    stages[1]!.success_criteria = { error_rate: "<500ms", response_time: "<5%" };
    const e = rejection({ canary: { stages } });
    expect(e.code).toBe("SCENARIO_INVALID");
    expect(e.message).toContain(`${SCENARIO}: spec.canary.stages[1].success_criteria.error_rate must be a percentage`);
    expect(e.message).toContain(`${SCENARIO}: spec.canary.stages[1].success_criteria.response_time must be a time`);
  });

  it("overrides the rotation period and rejects one that is not a positive duration", () => {
    expect(withOverride({ secrets: { rotation: "12h" } }).secrets.rotationMs).toBe(12 * 3_600_000);
    expect(rejection({ secrets: { rotation: "monthly" } }).message).toContain(`${SCENARIO}: spec.secrets.rotation must be a positive duration like "30d" or "12h", got "monthly"`);
    expect(rejection({ secrets: { rotation: 0 } }).message).toContain("spec.secrets.rotation must be a positive duration");
  });

  it("overrides network policies as lists and rejects a port out of range or a rule without peers", () => {
    expect(withOverride({ network_policies: { ingress: [{ from: ["load-balancer"], ports: [8000] }], egress: [] } }).networkPolicies).toEqual({ ingress: [{ peers: ["load-balancer"], ports: [8000] }], egress: [] });
    expect(rejection({ network_policies: { ingress: [{ from: ["load-balancer"], ports: [0] }], egress: [] } }).message).toContain(`${SCENARIO}: spec.network_policies.ingress[0].ports[0]`);
    expect(rejection({ network_policies: { ingress: [{ from: [], ports: [8000] }], egress: [] } }).message).toContain("spec.network_policies.ingress[0].from must not be empty");
  });

  it("rejects rollback triggers in the wrong unit", () => {
    const e = rejection({ rollback: { triggers: { error_rate: ">2s", response_time: ">5%" } } });
    expect(e.code).toBe("SCENARIO_INVALID");
    expect(e.message).toContain(`${SCENARIO}: spec.rollback.triggers.error_rate must be a percentage`);
    expect(e.message).toContain(`${SCENARIO}: spec.rollback.triggers.response_time must be a time`);
  });

  it("rejects canary traffic shares that do not rise", () => {
    const stages = canaryStages();
    stages[1]!.traffic_percentage = 10;
    const e = rejection({ canary: { stages } });
    expect(e.code).toBe("SCENARIO_INVALID");
    expect(e.message).toContain(`${SCENARIO}: spec.canary.stages[1] must send more traffic than the step before (10%), got 10%`);
  });

  it("rejects canary stages that do not end at 100%", () => {
    const e = rejection({ canary: { stages: canaryStages().slice(0, 2) } });
    expect(e.code).toBe("SCENARIO_INVALID");
    expect(e.message).toContain(`${SCENARIO}: spec.canary.stages must end at 100%, ends at 50%`);
  });

  it("rejects blue-green shifts that fall back or stop short of 100%", () => {
    const falling = rejection({ blue_green: { traffic_shift: [{ percentage: 50, duration: 60 }, { percentage: 10, duration: 60 }, { percentage: 100, duration: 0 }] } });
    expect(falling.message).toContain(`${SCENARIO}: spec.blue_green.traffic_shift[1] must send more traffic than the step before (50%), got 10%`);
    const short = rejection({ blue_green: { traffic_shift: [{ percentage: 10, duration: 60 }, { percentage: 90, duration: 60 }] } });
    expect(short.message).toContain(`${SCENARIO}: spec.blue_green.traffic_shift must end at 100%, ends at 90%`);
  });

  it("rejects unknown fields with a suggestion, and reports every problem at once", () => {
    const e = rejection({ rollback: { stratgy: "gradual", triggers: { health_check_failures: 0 } } });
    expect(e.code).toBe("SCENARIO_INVALID");
    const lines = e.message.split("\n");
    expect(lines).toContain(`${SCENARIO}: spec.rollback.stratgy is not a known field (did you mean "strategy"?); known fields: triggers, strategy, notification`);
    expect(lines.some((l) => l.startsWith(`${SCENARIO}: spec.rollback.triggers.health_check_failures must be an integer >= 1, got number 0`))).toBe(true);
  });

  it("rejects a strategy that is neither immediate nor gradual, and bad quantities", () => {
    const e = rejection({ rollback: { strategy: "slow" }, environments: { staging: { resources: { memory: "2 gigs" } } } });
    expect(e.message).toContain(`${SCENARIO}: spec.rollback.strategy must be one of immediate, gradual, got "slow"`);
    expect(e.message).toContain(`${SCENARIO}: spec.environments.staging.resources.memory must be a Kubernetes quantity like "1Gi", got "2 gigs"`);
  });
});

describe("parseCpu", () => {
  it("reads millicores and cores as millicores", () => {
    expect(parseCpu("500m")).toBe(500);
    expect(parseCpu("2000m")).toBe(2000);
    expect(parseCpu("2")).toBe(2000);
    expect(parseCpu("0.5")).toBe(500);
    expect(parseCpu("1.5")).toBe(1500);
  });

  it.each(["", "m", "500M", "2 cores", "-1", "1.5.0", " 500m"])("rejects %j", (text) => {
    expect(parseCpu(text)).toBeUndefined();
  });
});

describe("parseMemory", () => {
  it("reads binary and decimal suffixes as bytes", () => {
    expect(parseMemory("1Gi")).toBe(1024 ** 3);
    expect(parseMemory("4Gi")).toBe(4 * 1024 ** 3);
    expect(parseMemory("512Mi")).toBe(512 * 1024 ** 2);
    expect(parseMemory("64Ki")).toBe(64 * 1024);
    expect(parseMemory("1Ti")).toBe(1024 ** 4);
    expect(parseMemory("1G")).toBe(1e9);
    expect(parseMemory("500M")).toBe(5e8);
    expect(parseMemory("2K")).toBe(2000);
    expect(parseMemory("1024")).toBe(1024);
    expect(parseMemory("1.5Gi")).toBe(1.5 * 1024 ** 3);
  });

  it.each(["", "Gi", "1gi", "1GB", "1 Gi", "one", "1Pi"])("rejects %j", (text) => {
    expect(parseMemory(text)).toBeUndefined();
  });
});

describe("deepMerge", () => {
  it("merges objects key by key at every depth", () => {
    const base = { a: 1, b: { c: 2, d: { e: 3, f: 4 } }, g: "x" };
    expect(deepMerge(base, { b: { d: { e: 30 } }, h: true })).toEqual({ a: 1, b: { c: 2, d: { e: 30, f: 4 } }, g: "x", h: true });
  });

  it("replaces lists and scalars", () => {
    expect(deepMerge({ list: [1, 2, 3], n: 1 }, { list: [9], n: 2 })).toEqual({ list: [9], n: 2 });
    expect(deepMerge({ list: [{ a: 1, b: 2 }] }, { list: [{ a: 5 }] })).toEqual({ list: [{ a: 5 }] });
    expect(deepMerge({ a: { b: 1 } }, { a: "flat" })).toEqual({ a: "flat" });
    expect(deepMerge({ a: "flat" }, { a: { b: 1 } })).toEqual({ a: { b: 1 } });
    expect(deepMerge({ a: { b: 1 } }, { a: null })).toEqual({ a: null });
    expect(deepMerge([1, 2], { a: 1 })).toEqual({ a: 1 });
    expect(deepMerge({ a: 1 }, [1])).toEqual([1]);
  });

  it("does not change its inputs", () => {
    const base = { a: { b: 1, c: [1, 2] } };
    const override = { a: { b: 2 } };
    const merged = deepMerge(base, override);
    expect(merged).toEqual({ a: { b: 2, c: [1, 2] } });
    expect(base).toEqual({ a: { b: 1, c: [1, 2] } });
    expect(override).toEqual({ a: { b: 2 } });
  });
});

describe("response-time thresholds naming their statistic", () => {
  it("accepts a measured statistic and refuses one the analysis does not measure", () => {
    const ok = loadDeploymentSpec({ value: { rollback: { triggers: { response_time: "p99>2s" } } }, file: "s.yaml", path: "spec" });
    expect(ok.rollback.responseTime).toMatchObject({ statistic: "p99", value: 2000 });
    expect(() => loadDeploymentSpec({ value: { rollback: { triggers: { response_time: "p75>2s" } } }, file: "s.yaml", path: "spec" })).toThrow(
      /s\.yaml: spec\.rollback\.triggers\.response_time names the latency statistic "p75", which is not measured/,
    );
  });
});

describe("error-rate thresholds", () => {
  it("refuses a percentage above 100%, which no error rate can reach", () => {
    const e = rejection({ rollback: { triggers: { error_rate: ">150%" } } });
    expect(e.message).toBe(`${SCENARIO}: spec.rollback.triggers.error_rate must be a percentage between 0% and 100% (an error rate), got ">150%"`);
    const stages = canaryStages();
    stages[0]!.success_criteria = { error_rate: "<101%", response_time: "<500ms" };
    expect(rejection({ canary: { stages } }).message).toContain("spec.canary.stages[0].success_criteria.error_rate must be a percentage between 0% and 100%");
    expect(withOverride({ rollback: { triggers: { error_rate: ">100%" } } }).rollback.errorRate.value).toBe(1);
  });
});

describe("readDeploymentSpec", () => {
  it("gives an override's problems as data, under the path it is given", () => {
    const { spec, problems } = readDeploymentSpec({ value: { rollback: { strategy: "slow" } }, path: ["spec"] });
    expect(spec).toBeUndefined();
    expect(problems).toEqual([{ path: ["spec", "rollback", "strategy"], message: 'must be one of immediate, gradual, got "slow"' }]);
  });
});

describe("the document's own problems", () => {
  it("name the document's line and column (SPEC_INVALID)", () => {
    const dir = mkdtempSync(join(tmpdir(), "gameday-spec-"));
    const file = join(dir, "doc.yaml");
    const text = readFileSync(SPEC_FILE, "utf8").replace("strategy: immediate", "strategy: sudden");
    writeFileSync(file, text);
    try {
      readDeploymentSpec(undefined, file);
      throw new Error("expected SPEC_INVALID");
    } catch (e) {
      expect(e).toBeInstanceOf(HarnessError);
      const line = text.split("\n").findIndex((l) => l.includes("strategy: sudden")) + 1;
      expect((e as HarnessError).code).toBe("SPEC_INVALID");
      expect((e as HarnessError).message).toBe(`${file}:${line}:13: rollback.strategy must be one of immediate, gradual, got "sudden"`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
