import { describe, expect, it } from "vitest";
import { parsePrometheusText } from "../probes/prometheus-text.js";
import { deploymentMetricsText, doraMeasures, type MetricRecord } from "./deployment-metrics.js";

const at = (day: number, hour = 0) => new Date(Date.UTC(2026, 10, 1 + day, hour)).toISOString();
const dep = (day: number, environment: string, version: string, outcome: string, specSeconds: number, hour = 0): MetricRecord => ({
  at: at(day, hour),
  type: "deployment",
  pruned: false,
  body: { environment, version, outcome, specSeconds, durationSeconds: specSeconds / 100 },
});
const rollback = (day: number, environment: string, reason: string): MetricRecord => ({ at: at(day), type: "rollback", pruned: false, body: { environment, reason } });

const records: MetricRecord[] = [
  dep(0, "development", "good-2", "deployed", 40),
  dep(0, "staging", "good-2", "deployed", 320, 2),
  dep(1, "production", "good-2", "promoted", 1000),
  dep(2, "development", "erroring-1", "deployed", 45),
  rollback(3, "production", "error_rate"),
  dep(3, "production", "erroring-1", "rolled-back", 700),
  rollback(4, "production", "error_rate"),
  dep(4, "production", "erroring-1", "rolled-back", 650),
  dep(5, "production", "good-3", "promoted", 1100, 12),
  { at: at(5), type: "deployment", pruned: true },
  dep(6, "production", "good-4", "inconclusive", 900),
];

describe("deployment metrics from the audit trail (deployment-metrics.yml)", () => {
  it("writes the document's three metrics in Prometheus's text format, with their labels", () => {
    const text = deploymentMetricsText(records);
    expect(text).toContain("# TYPE deployment_duration histogram");
    expect(text).toContain("# TYPE deployment_success_rate gauge");
    expect(text).toContain("# TYPE rollback_count counter");
    const samples = parsePrometheusText(text);
    const value = (name: string, l: Record<string, string>) => samples.find((s) => s.name === name && Object.entries(l).every(([k, v]) => s.labels[k] === v))?.value;
    // Buckets are cumulative: 700 s and 650 s are both at or under 900 and over 600.
    expect(value("deployment_duration_bucket", { environment: "production", version: "erroring-1", le: "600" })).toBe(0);
    expect(value("deployment_duration_bucket", { environment: "production", version: "erroring-1", le: "900" })).toBe(2);
    expect(value("deployment_duration_bucket", { environment: "production", version: "erroring-1", le: "+Inf" })).toBe(2);
    expect(value("deployment_duration_sum", { environment: "production", version: "erroring-1" })).toBe(1350);
    expect(value("deployment_duration_count", { environment: "development", version: "good-2" })).toBe(1);
    // Production: 2 promoted, 2 rolled back (the inconclusive one is neither): 50%.
    expect(value("deployment_success_rate", { environment: "production" })).toBe(50);
    expect(value("deployment_success_rate", { environment: "staging" })).toBe(100);
    expect(value("rollback_count", { environment: "production", reason: "error_rate" })).toBe(2);
  });

  it("an empty trail still says what it would measure", () => {
    expect(parsePrometheusText(deploymentMetricsText([]))).toEqual([]);
    expect(deploymentMetricsText([])).toContain("# HELP rollback_count Number of rollbacks");
  });

  it("computes the DORA measures for production", () => {
    expect(doraMeasures(records, "production")).toEqual({
      environment: "production",
      deployments: 5,
      deploymentsPerDay: 5 / 5,
      // good-2: first deployed day 0 00:00, promoted day 1 (24 h); good-3: first deployed and promoted day 5 12:00 (0 h).
      leadTimeHours: 12,
      changeFailureRate: 2 / 4,
      // Failed on day 3 (and again on day 4), restored on day 5 12:00: 60 h.
      timeToRestoreHours: 60,
    });
    expect(doraMeasures(records, "nowhere")).toMatchObject({ deployments: 0, deploymentsPerDay: null, leadTimeHours: null, changeFailureRate: null, timeToRestoreHours: null });
  });
});
