import { closest } from "../common/suggest.js";

/**
 * Thresholds in k6's vocabulary ("p(95)<500" on http_req_duration): what a
 * load phase must achieve. Only the words are k6's; parsing and evaluation
 * are the harness's own.
 */

export const METRICS = ["http_req_failed", "http_req_duration", "http_reqs"] as const;
export type MetricName = (typeof METRICS)[number];

export const OPERATORS = ["<", "<=", ">", ">=", "==", "!="] as const;
export type Operator = (typeof OPERATORS)[number];

export type Aggregation =
  | { kind: "rate" | "count" | "avg" | "min" | "max" | "med" }
  /** A percentile in (0, 100]. */
  | { kind: "p"; p: number };

/** Aggregations each metric has: a rate (failed share), a trend (latency in ms) and a counter. */
const AGGREGATIONS: Record<MetricName, readonly string[]> = {
  http_req_failed: ["rate"],
  http_req_duration: ["avg", "min", "max", "med", "p"],
  http_reqs: ["count", "rate"],
};

const EXAMPLE: Record<MetricName, string> = {
  http_req_failed: "rate<0.01",
  http_req_duration: "p(95)<500",
  http_reqs: "rate>100",
};

/** A tag filter in the metric key: `http_req_duration{version:good-1}`, `http_reqs{status:500}`. */
export interface TagFilter {
  version?: string;
  status?: number;
}

export interface MetricKey {
  metric: MetricName;
  tags: TagFilter;
}

export interface Threshold {
  /** The metric key as written, tag filter included: `http_req_duration{version:good-1}`. */
  key: string;
  metric: MetricName;
  tags: TagFilter;
  /** The expression as written: `p(95)<500`. */
  expression: string;
  aggregation: Aggregation;
  op: Operator;
  /** The bound; milliseconds for http_req_duration, a fraction for http_req_failed, requests or requests per second for http_reqs. */
  value: number;
  /** Stop the load as soon as this threshold fails. */
  abortOnFail: boolean;
}

/** What a threshold is judged on: the requests its tag filter selects. */
export interface ThresholdStats {
  requests: number;
  failed: number;
  /** Seconds the load ran (for http_reqs' rate). */
  seconds: number;
  /** Latencies in milliseconds, sorted ascending. */
  latenciesMs: ArrayLike<number>;
}

/** A mistake in a threshold; `part` says whether the metric key or the expression is wrong. */
export class ThresholdError extends Error {
  constructor(
    readonly part: "metric" | "expression",
    message: string,
  ) {
    super(message);
    this.name = "ThresholdError";
  }
}

const KEY = /^([A-Za-z_][A-Za-z0-9_]*)(?:\{([^}]*)\})?$/;
const EXPRESSION = /^\s*(rate|count|avg|min|max|med|p\(\s*([0-9]+(?:\.[0-9]+)?)\s*\))\s*(<=|>=|==|!=|<|>)\s*(-?[0-9]+(?:\.[0-9]+)?)\s*$/;

/** `http_req_duration{version:good-1}` -> metric and tag filter; throws ThresholdError. */
export function parseMetricKey(key: string): MetricKey {
  const m = KEY.exec(key.trim());
  const name = m?.[1] ?? key;
  if (!m || !(METRICS as readonly string[]).includes(name)) {
    const near = closest(name, METRICS);
    throw new ThresholdError(
      "metric",
      `is not a metric the load generator measures${near ? ` (did you mean "${near}"?)` : ""}; known metrics: ${METRICS.join(", ")}`,
    );
  }
  const tags: TagFilter = {};
  const filter = m[2];
  if (filter !== undefined) {
    const parts = filter.split(",").map((p) => p.trim());
    for (const part of parts) {
      const tag = /^([a-z_]+)\s*:\s*(\S(?:.*\S)?)$/.exec(part);
      const name = tag?.[1];
      const value = tag?.[2];
      if (name === "version" && value !== undefined && tags.version === undefined) tags.version = value;
      else if (name === "status" && value !== undefined && /^\d{1,3}$/.test(value) && Number(value) <= 599 && tags.status === undefined) {
        tags.status = Number(value);
      } else {
        throw new ThresholdError(
          "metric",
          `has a tag filter the harness does not know: {${filter}}; use {version:<version>} or {status:<HTTP code>}, each at most once`,
        );
      }
    }
  }
  return { metric: name as MetricName, tags };
}

/** `p(95)<500` on `http_req_duration` -> a Threshold; throws ThresholdError with a message that fits after a path. */
export function parseThreshold(key: string, expression: string, abortOnFail = false): Threshold {
  const { metric, tags } = parseMetricKey(key);
  const m = EXPRESSION.exec(expression);
  if (!m) {
    throw new ThresholdError("expression", `must be a k6 threshold like ${JSON.stringify(EXAMPLE[metric])}, got ${JSON.stringify(expression)}`);
  }
  const word = m[1]!;
  let aggregation: Aggregation;
  if (m[2] !== undefined) {
    const p = Number(m[2]);
    if (!(p > 0 && p <= 100)) throw new ThresholdError("expression", `must name a percentile in (0, 100], got ${JSON.stringify(expression)}`);
    aggregation = { kind: "p", p };
  } else aggregation = { kind: word as Exclude<Aggregation["kind"], "p"> };
  const allowed = AGGREGATIONS[metric];
  if (!allowed.includes(aggregation.kind)) {
    const names = allowed.map((a) => (a === "p" ? "p(N)" : a));
    throw new ThresholdError(
      "expression",
      `uses ${aggregation.kind === "p" ? "p(N)" : aggregation.kind}, which ${metric} does not have; use ${names.join(", ")} (e.g. ${JSON.stringify(EXAMPLE[metric])}), got ${JSON.stringify(expression)}`,
    );
  }
  return { key: key.trim(), metric, tags, expression: expression.trim(), aggregation, op: m[3] as Operator, value: Number(m[4]), abortOnFail };
}

/** The observed value of the threshold's aggregation and whether it holds. Empty data observes 0, as k6 does. */
export function evaluateThreshold(threshold: Threshold, stats: ThresholdStats): { observed: number; pass: boolean } {
  const observed = observe(threshold, stats);
  return { observed, pass: compare(observed, threshold.op, threshold.value) };
}

function observe(t: Threshold, s: ThresholdStats): number {
  const a = t.aggregation;
  switch (a.kind) {
    case "rate":
      if (t.metric === "http_req_failed") return s.requests === 0 ? 0 : s.failed / s.requests;
      return s.seconds > 0 ? s.requests / s.seconds : 0;
    case "count":
      return s.requests;
    case "avg": {
      const n = s.latenciesMs.length;
      if (n === 0) return 0;
      let sum = 0;
      for (let i = 0; i < n; i++) sum += s.latenciesMs[i]!;
      return sum / n;
    }
    case "min":
      return s.latenciesMs.length === 0 ? 0 : s.latenciesMs[0]!;
    case "max":
      return s.latenciesMs.length === 0 ? 0 : s.latenciesMs[s.latenciesMs.length - 1]!;
    case "med":
      return percentile(s.latenciesMs, 50);
    case "p":
      return percentile(s.latenciesMs, a.p);
  }
}

export function compare(observed: number, op: Operator, bound: number): boolean {
  switch (op) {
    case "<":
      return observed < bound;
    case "<=":
      return observed <= bound;
    case ">":
      return observed > bound;
    case ">=":
      return observed >= bound;
    case "==":
      return observed === bound;
    case "!=":
      return observed !== bound;
  }
}

/**
 * The p-th percentile (0 < p <= 100) of values sorted ascending, exact:
 * linear interpolation between the two closest ranks (rank p/100 * (n-1)),
 * the usual definition for latency percentiles. 0 for no values.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const rank = (p / 100) * (n - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (b - a) * (rank - lo);
}
