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
  /** The evidence's strength: 95% intervals of the error rate (Wilson) and of each latency quantile measured (order statistics through the histogram). */
  intervals?: { errorRate?: Interval; latencies?: Partial<Record<LatencyStatistic, Interval>> };
  queries: { errorRate: string; latency: string; requests: string; buckets?: string };
}

import type { LatencyStatistic } from "../model/strategy.js";
import { quantileInterval, wilson, type Interval } from "./intervals.js";

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
  const buckets = `sum by (le) (increase(http_request_duration_seconds_bucket{${sel}}[${w}]))`;
  return { requests, errorRate, latency, buckets };
}

/** The intervals a window's figures carry: the error rate's over its requests, each quantile's over the histogram. */
export function measurementIntervals(
  requests: number,
  errorRate: number | undefined,
  buckets: ReadonlyArray<readonly [number, number]>,
  statistics: readonly LatencyStatistic[],
): NonNullable<Measurement["intervals"]> {
  const n = Math.round(requests);
  const latencies: Partial<Record<LatencyStatistic, Interval>> = {};
  for (const s of statistics) {
    if (s === "avg") continue;
    const i = quantileInterval(Number(s.slice(1)) / 100, buckets);
    if (i) latencies[s] = [i[0] * 1000, i[1] * 1000];
  }
  return { ...(errorRate !== undefined && n > 0 ? { errorRate: wilson(Math.round(errorRate * n), n) } : {}), latencies };
}

/** Prometheus' `sum by (le)` of a histogram's buckets as cumulative [bound, count] pairs, ascending. */
export function bucketsFrom(samples: ReadonlyArray<{ labels: Record<string, string>; value: number }>): Array<[number, number]> {
  return samples
    .map((s): [number, number] => [s.labels.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(s.labels.le), Number.isFinite(s.value) ? s.value : 0])
    .filter(([b]) => !Number.isNaN(b))
    .sort((a, b) => a[0] - b[0]);
}

export class PrometheusAnalysis implements Analysis {
  constructor(
    private readonly prometheus: PrometheusClient,
    private readonly statistic: LatencyStatistic = "p95",
  ) {}

  async measure(version: string, windowMs: number, extra: readonly LatencyStatistic[] = []): Promise<Measurement> {
    const queries = analysisQueries(version, windowMs, this.statistic);
    const others = [...new Set(extra)].filter((s) => s !== this.statistic);
    const [requests, errorRate, latency, buckets, ...otherValues] = await Promise.all([
      this.prometheus.scalar(queries.requests),
      this.prometheus.scalar(queries.errorRate),
      this.prometheus.scalar(queries.latency),
      this.prometheus.query(queries.buckets),
      ...others.map((s) => this.prometheus.scalar(analysisQueries(version, windowMs, s).latency)),
    ]);
    const served = requests ?? 0;
    const latencies: Partial<Record<LatencyStatistic, number>> = {};
    others.forEach((s, i) => {
      const v = otherValues[i];
      if (v !== undefined && !Number.isNaN(v)) latencies[s] = v;
    });
    if (latency !== undefined && !Number.isNaN(latency)) latencies[this.statistic] = latency;
    // No 5xx series yet means no errors; NaN means no requests at all.
    const rate = served > 0 ? (errorRate === undefined || Number.isNaN(errorRate) ? 0 : errorRate) : undefined;
    return {
      latencies,
      intervals: measurementIntervals(served, rate, bucketsFrom(buckets), [this.statistic, ...others]),
      requests: served,
      errorRate: rate,
      latencyMs: latency === undefined || Number.isNaN(latency) ? undefined : latency,
      latencyStatistic: this.statistic,
      queries,
    };
  }
}
