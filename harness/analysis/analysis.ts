import type { PrometheusClient } from "./prometheus.js";

/** What one analysis of a version over a window found. Rates are fractions, times milliseconds. */
export interface Measurement {
  requests: number;
  /** undefined when the version served no request in the window. */
  errorRate: number | undefined;
  latencyMs: number | undefined;
  /** Which latency statistic latencyMs is: "p95", "p99", "p50" or "avg". */
  latencyStatistic: LatencyStatistic;
  queries: { errorRate: string; latency: string; requests: string };
}

export type LatencyStatistic = "p50" | "p90" | "p95" | "p99" | "avg";
export const LATENCY_STATISTICS: readonly LatencyStatistic[] = ["p50", "p90", "p95", "p99", "avg"];

/** Measures a version's error rate and latency over a window. */
export interface Analysis {
  measure(version: string, windowMs: number): Promise<Measurement>;
}

const API = 'route=~"/api/.*"';

/** The PromQL the success criteria and rollback triggers are evaluated with, over the services' own metrics. */
export function analysisQueries(version: string, windowMs: number, statistic: LatencyStatistic) {
  const w = `${Math.max(1, Math.round(windowMs))}ms`;
  const sel = `version="${version}",${API}`;
  const requests = `sum(increase(http_requests_total{${sel}}[${w}]))`;
  const errorRate = `sum(rate(http_requests_total{${sel},code=~"5.."}[${w}])) / sum(rate(http_requests_total{${sel}}[${w}]))`;
  const latency =
    statistic === "avg"
      ? `1000 * sum(rate(http_request_duration_seconds_sum{${sel}}[${w}])) / sum(rate(http_request_duration_seconds_count{${sel}}[${w}]))`
      : `1000 * histogram_quantile(${Number(statistic.slice(1)) / 100}, sum by (le) (rate(http_request_duration_seconds_bucket{${sel}}[${w}])))`;
  return { requests, errorRate, latency };
}

export class PrometheusAnalysis implements Analysis {
  constructor(
    private readonly prometheus: PrometheusClient,
    private readonly statistic: LatencyStatistic = "p95",
  ) {}

  async measure(version: string, windowMs: number): Promise<Measurement> {
    const queries = analysisQueries(version, windowMs, this.statistic);
    const [requests, errorRate, latency] = await Promise.all([
      this.prometheus.scalar(queries.requests),
      this.prometheus.scalar(queries.errorRate),
      this.prometheus.scalar(queries.latency),
    ]);
    const served = requests ?? 0;
    return {
      requests: served,
      // No 5xx series yet means no errors; NaN means no requests at all.
      errorRate: served > 0 ? (errorRate === undefined || Number.isNaN(errorRate) ? 0 : errorRate) : undefined,
      latencyMs: latency === undefined || Number.isNaN(latency) ? undefined : latency,
      latencyStatistic: this.statistic,
      queries,
    };
  }
}
