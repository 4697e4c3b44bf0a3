import type { AuditType } from "./chain.js";

/**
 * The document's deployment metrics (deployment-metrics.yml), computed from
 * the audit trail across every run: deployment_duration (a histogram by
 * environment and version), deployment_success_rate (a gauge by environment,
 * in percent as the document says) and rollback_count (a counter by
 * environment and reason). Beyond the document, the four DORA measures from
 * the same records. Durations are spec seconds: what the deployment takes at
 * the document's own speed (at time scale 1, the wall time).
 */

/** A record as the metrics read it (AuditTrail.read()). */
export interface MetricRecord {
  at: string;
  type: AuditType;
  body?: Record<string, unknown>;
  pruned: boolean;
}

/** Upper bounds of deployment_duration's buckets, in seconds: a minute-scale canary to an hour-long rollout. */
export const DURATION_BUCKETS = [30, 60, 300, 600, 900, 1800, 3600, 7200] as const;

const SUCCEEDED = new Set(["promoted", "deployed", "succeeded"]);
const FAILED = new Set(["rolled-back", "failed"]);

interface Deployment {
  at: number;
  environment: string;
  version: string;
  outcome: string;
  seconds: number;
}

function deployments(records: readonly MetricRecord[]): Deployment[] {
  return records
    .filter((r) => r.type === "deployment" && !r.pruned && r.body)
    .map((r) => ({
      at: Date.parse(r.at),
      environment: String(r.body!.environment ?? "unknown"),
      version: String(r.body!.version ?? "unknown"),
      outcome: String(r.body!.outcome ?? "unknown"),
      seconds: Number(r.body!.specSeconds ?? r.body!.durationSeconds ?? 0),
    }));
}

const label = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
const labels = (o: Record<string, string>) => `{${Object.entries(o).map(([k, v]) => `${k}="${label(v)}"`).join(",")}}`;
const num = (n: number) => (Number.isInteger(n) ? String(n) : String(Math.round(n * 1e6) / 1e6));

/** The Prometheus text exposition (format 0.0.4) of the document's three metrics. */
export function deploymentMetricsText(records: readonly MetricRecord[]): string {
  const deps = deployments(records);
  const out: string[] = [];
  out.push("# HELP deployment_duration Time taken for deployment, in spec seconds (deployment-metrics.yml)", "# TYPE deployment_duration histogram");
  const series = new Map<string, Deployment[]>();
  for (const d of deps) {
    const key = JSON.stringify([d.environment, d.version]);
    series.set(key, [...(series.get(key) ?? []), d]);
  }
  for (const [key, ds] of [...series].sort(([a], [b]) => a.localeCompare(b))) {
    const [environment, version] = JSON.parse(key) as [string, string];
    for (const le of DURATION_BUCKETS) out.push(`deployment_duration_bucket${labels({ environment, version, le: String(le) })} ${ds.filter((d) => d.seconds <= le).length}`);
    out.push(`deployment_duration_bucket${labels({ environment, version, le: "+Inf" })} ${ds.length}`);
    out.push(`deployment_duration_sum${labels({ environment, version })} ${num(ds.reduce((a, d) => a + d.seconds, 0))}`);
    out.push(`deployment_duration_count${labels({ environment, version })} ${ds.length}`);
  }
  out.push("# HELP deployment_success_rate Percentage of successful deployments (deployment-metrics.yml)", "# TYPE deployment_success_rate gauge");
  for (const env of [...new Set(deps.map((d) => d.environment))].sort()) {
    const judged = deps.filter((d) => d.environment === env && (SUCCEEDED.has(d.outcome) || FAILED.has(d.outcome)));
    if (judged.length === 0) continue;
    out.push(`deployment_success_rate${labels({ environment: env })} ${num((100 * judged.filter((d) => SUCCEEDED.has(d.outcome)).length) / judged.length)}`);
  }
  out.push("# HELP rollback_count Number of rollbacks (deployment-metrics.yml)", "# TYPE rollback_count counter");
  const rollbacks = new Map<string, number>();
  for (const r of records) {
    if (r.type !== "rollback" || r.pruned || !r.body) continue;
    const key = JSON.stringify([String(r.body.environment ?? "unknown"), String(r.body.reason ?? "unknown")]);
    rollbacks.set(key, (rollbacks.get(key) ?? 0) + 1);
  }
  for (const [key, n] of [...rollbacks].sort(([a], [b]) => a.localeCompare(b))) {
    const [environment, reason] = JSON.parse(key) as [string, string];
    out.push(`rollback_count${labels({ environment, reason })} ${n}`);
  }
  return out.join("\n") + "\n";
}

/** The four DORA measures for one environment, over the records given. */
export interface DoraMeasures {
  environment: string;
  deployments: number;
  /** Deployments per day, from the first to the last (or over one day when there is only one day). */
  deploymentsPerDay: number | null;
  /** Median hours from a version's first deployment anywhere to its first successful one here. */
  leadTimeHours: number | null;
  /** Share of deployments here that failed or were rolled back, 0-1. */
  changeFailureRate: number | null;
  /** Median hours from a failed deployment here to the next successful one. */
  timeToRestoreHours: number | null;
}

export function doraMeasures(records: readonly MetricRecord[], environment: string): DoraMeasures {
  const all = deployments(records).sort((a, b) => a.at - b.at);
  const here = all.filter((d) => d.environment === environment);
  const judged = here.filter((d) => SUCCEEDED.has(d.outcome) || FAILED.has(d.outcome));
  const days = here.length ? Math.max(1, (here[here.length - 1]!.at - here[0]!.at) / 86_400_000) : 0;
  const hours = (ms: number) => ms / 3_600_000;
  const lead: number[] = [];
  for (const version of new Set(here.map((d) => d.version))) {
    const first = all.find((d) => d.version === version);
    const succeeded = here.find((d) => d.version === version && SUCCEEDED.has(d.outcome));
    if (first && succeeded) lead.push(hours(succeeded.at - first.at));
  }
  const restore: number[] = [];
  for (const [i, d] of here.entries()) {
    if (!FAILED.has(d.outcome) || (i > 0 && FAILED.has(here[i - 1]!.outcome))) continue;
    const next = here.slice(i + 1).find((n) => SUCCEEDED.has(n.outcome));
    if (next) restore.push(hours(next.at - d.at));
  }
  return {
    environment,
    deployments: here.length,
    deploymentsPerDay: here.length ? here.length / days : null,
    leadTimeHours: lead.length ? medianOf(lead) : null,
    changeFailureRate: judged.length ? judged.filter((d) => FAILED.has(d.outcome)).length / judged.length : null,
    timeToRestoreHours: restore.length ? medianOf(restore) : null,
  };
}

function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
