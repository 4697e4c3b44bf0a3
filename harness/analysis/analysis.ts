import type { PrometheusClient, PromSeries } from "./prometheus.js";

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
  /** The range selectors the figures were counted from. */
  queries: { requests: string; buckets: string; sum?: string };
}

import type { LatencyStatistic } from "../model/strategy.js";
import { counted } from "./counter-increase.js";
import { histogramQuantile } from "./histogram-quantile.js";
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

/** How far before a window the selectors reach, at least, for each series' last sample before it. */
export const LOOKBACK_MARGIN_MS = 5000;

/**
 * The range selectors a window's figures are counted from: the version's /api requests (by code) and its
 * request-duration histogram (and its _sum for the average), over the window plus a margin (two scrape intervals,
 * at least 5 s), so that every series that existed before the window has its last sample from before it, even
 * when a busy Prometheus missed a few scrapes; a series without one was born in the window. The figures equal what
 * `sum(increase(...[w]))` and `histogram_quantile(q, sum by (le) (rate(...[w])))` estimate, without their
 * extrapolation to the window's edges.
 */
export function analysisSelectors(version: string, windowMs: number, scrapeIntervalMs: number) {
  const w = `${Math.max(1, Math.round(windowMs + Math.max(2 * scrapeIntervalMs, LOOKBACK_MARGIN_MS)))}ms`;
  const sel = `version="${version}",${API}`;
  return {
    requests: `http_requests_total{${sel}}[${w}]`,
    buckets: `http_request_duration_seconds_bucket{${sel}}[${w}]`,
    sum: `http_request_duration_seconds_sum{${sel}}[${w}]`,
  };
}

/** A window's counts: requests, 5xx answers, the cumulative histogram (seconds) and the durations' sum. */
export interface WindowCounts {
  requests: number;
  errors: number;
  buckets: Array<[number, number]>;
  sumSeconds?: number;
}

/** The figures of a window's exact counts, under the default statistic and the others asked for. */
export function measurementOf(counts: WindowCounts, statistic: LatencyStatistic, others: readonly LatencyStatistic[], queries: Measurement["queries"]): Measurement {
  const n = counts.requests;
  const observed = counts.buckets[counts.buckets.length - 1]?.[1] ?? 0;
  const latencies: Partial<Record<LatencyStatistic, number>> = {};
  for (const s of [statistic, ...others]) {
    const v = s === "avg" ? (counts.sumSeconds !== undefined && observed > 0 ? (1000 * counts.sumSeconds) / observed : Number.NaN) : 1000 * histogramQuantile(Number(s.slice(1)) / 100, counts.buckets);
    if (!Number.isNaN(v)) latencies[s] = v;
  }
  const errorRate = n > 0 ? counts.errors / n : undefined;
  return {
    requests: n,
    errorRate,
    latencyMs: latencies[statistic],
    latencyStatistic: statistic,
    latencies,
    intervals: measurementIntervals(counts, [statistic, ...others]),
    queries,
  };
}

/** The intervals a window's figures carry: the error rate's (Wilson, over its exact counts), each quantile's over the histogram. */
function measurementIntervals(counts: WindowCounts, statistics: readonly LatencyStatistic[]): NonNullable<Measurement["intervals"]> {
  const latencies: Partial<Record<LatencyStatistic, Interval>> = {};
  for (const s of statistics) {
    if (s === "avg") continue;
    const i = quantileInterval(Number(s.slice(1)) / 100, counts.buckets);
    if (i) latencies[s] = [i[0] * 1000, i[1] * 1000];
  }
  return { ...(counts.requests > 0 ? { errorRate: wilson(counts.errors, counts.requests) } : {}), latencies };
}

/** Sums what each series counted in the window, by the label `by` (one group "" without it). */
function countedBy(series: readonly PromSeries[], fromSeconds: number, by?: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of series) {
    const key = by === undefined ? "" : (s.labels[by] ?? "");
    out.set(key, (out.get(key) ?? 0) + counted(s.values, fromSeconds));
  }
  return out;
}

/** A histogram's buckets summed by `le`, as cumulative [bound, count] pairs, ascending. */
export function bucketsFrom(byLe: ReadonlyMap<string, number>): Array<[number, number]> {
  return [...byLe]
    .map(([le, v]): [number, number] => [le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le), v])
    .filter(([b]) => !Number.isNaN(b))
    .sort((a, b) => a[0] - b[0]);
}

/**
 * The analysis over the services' own metrics in Prometheus. Each window is counted exactly from the raw
 * samples, every series read at one instant, so the error rate, the quantiles and their intervals all
 * describe the same requests.
 */
export class PrometheusAnalysis implements Analysis {
  constructor(
    private readonly prometheus: PrometheusClient,
    private readonly statistic: LatencyStatistic = "p95",
    private readonly scrapeIntervalMs = 1000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  async measure(version: string, windowMs: number, extra: readonly LatencyStatistic[] = []): Promise<Measurement> {
    const queries = analysisSelectors(version, windowMs, this.scrapeIntervalMs);
    const others = [...new Set(extra)].filter((s) => s !== this.statistic);
    const wantsSum = [this.statistic, ...others].includes("avg");
    const at = this.now() / 1000;
    const from = at - windowMs / 1000;
    const [requests, buckets, sums] = await Promise.all([
      this.prometheus.samples(queries.requests, at),
      this.prometheus.samples(queries.buckets, at),
      wantsSum ? this.prometheus.samples(queries.sum, at) : Promise.resolve([]),
    ]);
    const byCode = countedBy(requests, from, "code");
    const counts: WindowCounts = {
      requests: [...byCode.values()].reduce((a, b) => a + b, 0),
      errors: [...byCode].filter(([code]) => code.startsWith("5")).reduce((a, [, v]) => a + v, 0),
      buckets: bucketsFrom(countedBy(buckets, from, "le")),
      ...(wantsSum ? { sumSeconds: countedBy(sums, from).get("") ?? 0 } : {}),
    };
    return measurementOf(counts, this.statistic, others, { requests: queries.requests, buckets: queries.buckets, ...(wantsSum ? { sum: queries.sum } : {}) });
  }
}
