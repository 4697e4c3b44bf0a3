import type { PrometheusClient } from "./prometheus.js";

/** What one analysis of a version over a window found. Rates are fractions, times milliseconds. */
export interface Measurement {
  requests: number;
  /** undefined when the version served no request in the window. */
  errorRate: number | undefined;
  latencyMs: number | undefined;
  /** Which latency statistic latencyMs is: "p95", "p99", "p50" or "avg". */
  latencyStatistic: LatencyStatistic;
  /** Every statistic measured (the default one included), for criteria that name their own. */
  latencies?: Partial<Record<LatencyStatistic, number>>;
  queries: { errorRate: string; latency: string; requests: string };
}

import type { LatencyStatistic } from "../model/strategy.js";

/** Measures a version's error rate and latency over a window. */
export interface Analysis {
  /** `extra`: latency statistics to measure beside the default one. */
  measure(version: string, windowMs: number, extra?: readonly LatencyStatistic[]): Promise<Measurement>;
}

/** The latency a measurement holds for a statistic (the default one when none is named). */
export function latencyOf(m: Measurement, statistic: string | undefined): number | undefined {
  const s = (statistic ?? m.latencyStatistic) as LatencyStatistic;
  return s === m.latencyStatistic ? m.latencyMs : m.latencies?.[s];
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

  async measure(version: string, windowMs: number, extra: readonly LatencyStatistic[] = []): Promise<Measurement> {
    const queries = analysisQueries(version, windowMs, this.statistic);
    const others = [...new Set(extra)].filter((s) => s !== this.statistic);
    const [requests, errorRate, latency, ...otherValues] = await Promise.all([
      this.prometheus.scalar(queries.requests),
      this.prometheus.scalar(queries.errorRate),
      this.prometheus.scalar(queries.latency),
      ...others.map((s) => this.prometheus.scalar(analysisQueries(version, windowMs, s).latency)),
    ]);
    const served = requests ?? 0;
    const latencies: Partial<Record<LatencyStatistic, number>> = {};
    others.forEach((s, i) => {
      const v = otherValues[i];
      if (v !== undefined && !Number.isNaN(v)) latencies[s] = v;
    });
    if (latency !== undefined && !Number.isNaN(latency)) latencies[this.statistic] = latency;
    return {
      latencies,
      requests: served,
      // No 5xx series yet means no errors; NaN means no requests at all.
      errorRate: served > 0 ? (errorRate === undefined || Number.isNaN(errorRate) ? 0 : errorRate) : undefined,
      latencyMs: latency === undefined || Number.isNaN(latency) ? undefined : latency,
      latencyStatistic: this.statistic,
      queries,
    };
  }
}
