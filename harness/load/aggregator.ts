import type { RequestResult } from "./load-generator.js";
import { evaluateThreshold, percentile, type TagFilter, type Threshold } from "./thresholds.js";
import type { SecondStats } from "../model/load-events.js";

export type { SecondStats };

/** The version name of per-second rows that cover every version. */
export const ALL_VERSIONS = "*";
/** The version of results without an X-App-Version header (transport errors). */
export const NO_VERSION = "(none)";

/** k6's default expected statuses are 200-399; anything else (and a transport error, code 0) is a failed request. */
export function isFailed(code: number): boolean {
  return code < 200 || code >= 400;
}

/** A growable buffer of doubles: all latencies of a phase, for exact percentiles at the end. */
export class Float64Buffer {
  private data = new Float64Array(1024);
  private size = 0;
  private sortedCache: Float64Array | undefined;

  get length(): number {
    return this.size;
  }

  push(value: number): void {
    if (this.size === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.size++] = value;
    this.sortedCache = undefined;
  }

  /** The values in the order they were pushed (a view, valid until the next push). */
  values(): Float64Array {
    return this.data.subarray(0, this.size);
  }

  /** The values sorted ascending (a copy, cached until the next push). */
  sorted(): Float64Array {
    this.sortedCache ??= this.data.slice(0, this.size).sort();
    return this.sortedCache;
  }
}

/** One wall second of one version (or all of them). Latencies in ms, exact over the second's requests; 0 when there were none. */
export interface SecondRow {
  /** Whole wall seconds since the first request was sent. */
  second: number;
  all: SecondStats;
  /** Only the versions that answered in this second. */
  versions: Record<string, SecondStats>;
}

export interface LoadStats {
  requests: number;
  failed: number;
  /** failed / requests; 0 without requests. */
  failedRate: number;
  codes: Record<string, number>;
  latencyMs: { avg: number; min: number; med: number; p90: number; p95: number; p99: number; max: number };
}

export interface ThresholdResult {
  /** The metric key as written, tag filter included. */
  metric: string;
  expression: string;
  observed: number;
  pass: boolean;
  abortOnFail: boolean;
  /** Requests the threshold was judged on (its tag filter applied). */
  samples: number;
}

export interface AggregateSummary {
  requests: number;
  failed: number;
  /** Seconds from the first request sent to the end of the load. */
  durationSeconds: number;
  /** Requests per second over durationSeconds. */
  achievedRate: number;
  overall: LoadStats;
  byVersion: Record<string, LoadStats>;
  thresholdResults: ThresholdResult[];
  /** Per-second rows emitted (seconds 0 .. secondsEmitted-1). */
  secondsEmitted: number;
  /** Results that arrived for a second already emitted: counted in the totals, not in the rows. 0 when results come in send order. */
  lateResults: number;
}

class Collector {
  requests = 0;
  failed = 0;
  readonly codes = new Map<number, number>();
  readonly latencies = new Float64Buffer();

  add(r: RequestResult): void {
    this.requests++;
    if (isFailed(r.code)) this.failed++;
    this.codes.set(r.code, (this.codes.get(r.code) ?? 0) + 1);
    this.latencies.push(r.latencyMs);
  }

  stats(): LoadStats {
    const s = this.latencies.sorted();
    let sum = 0;
    for (const v of s) sum += v;
    return {
      requests: this.requests,
      failed: this.failed,
      failedRate: this.requests === 0 ? 0 : this.failed / this.requests,
      codes: codesRecord(this.codes),
      latencyMs: {
        avg: s.length === 0 ? 0 : sum / s.length,
        min: s[0] ?? 0,
        med: percentile(s, 50),
        p90: percentile(s, 90),
        p95: percentile(s, 95),
        p99: percentile(s, 99),
        max: s[s.length - 1] ?? 0,
      },
    };
  }
}

interface SecondBucket {
  requests: number;
  failed: number;
  codes: Map<number, number>;
  errors?: Map<string, number>;
  latencies: number[];
}

function codesRecord(codes: Map<number, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const code of [...codes.keys()].sort((a, b) => a - b)) out[String(code)] = codes.get(code)!;
  return out;
}

function secondStats(b: SecondBucket | undefined): SecondStats {
  if (!b) return { requests: 0, failed: 0, codes: {}, p50: 0, p95: 0, p99: 0, max: 0 };
  const s = Float64Array.from(b.latencies).sort();
  return {
    requests: b.requests,
    failed: b.failed,
    codes: codesRecord(b.codes),
    ...(b.errors ? { errors: Object.fromEntries(b.errors) } : {}),
    p50: percentile(s, 50),
    p95: percentile(s, 95),
    p99: percentile(s, 99),
    max: s[s.length - 1] ?? 0,
  };
}

function filterKey(tags: TagFilter): string {
  return `version=${tags.version ?? ""};status=${tags.status ?? ""}`;
}

function matches(tags: TagFilter, r: RequestResult): boolean {
  return (tags.version === undefined || (r.version ?? NO_VERSION) === tags.version) && (tags.status === undefined || r.code === tags.status);
}

/**
 * Aggregates a load phase's results per wall second and per version, and
 * keeps every latency for exact percentiles in the summary.
 *
 * Seconds count from the first result's send time. `advanceTo(t)` declares
 * that every request sent before t has been added; the seconds that ended by
 * then are emitted to `onSecond`, in order, zero rows included. `finish`
 * emits the rest up to the end of the load.
 */
export class LoadAggregator {
  private origin: number | undefined;
  private nextSecond = 0;
  private maxSecond = -1;
  private lastAt = Number.NEGATIVE_INFINITY;
  private late = 0;
  private endMs: number | undefined;
  private readonly open = new Map<number, Map<string, SecondBucket>>();
  private readonly overall = new Collector();
  private readonly versions = new Map<string, Collector>();
  /** One collector per distinct tag filter of the thresholds. */
  private readonly filtered = new Map<string, { tags: TagFilter; collector: Collector }>();
  private readonly thresholds: readonly Threshold[];
  private readonly onSecond: ((row: SecondRow) => void) | undefined;

  constructor(options: { thresholds?: readonly Threshold[]; onSecond?: (row: SecondRow) => void } = {}) {
    this.thresholds = options.thresholds ?? [];
    this.onSecond = options.onSecond;
    for (const t of this.thresholds) {
      const key = filterKey(t.tags);
      if (key !== filterKey({}) && !this.filtered.has(key)) this.filtered.set(key, { tags: t.tags, collector: new Collector() });
    }
  }

  /** Epoch ms of the first request sent; undefined before any result. */
  get startedAt(): number | undefined {
    return this.origin;
  }

  get requests(): number {
    return this.overall.requests;
  }

  add(r: RequestResult): void {
    if (this.endMs !== undefined) throw new Error("LoadAggregator.add after finish");
    this.origin ??= r.at;
    this.lastAt = Math.max(this.lastAt, r.at);
    const version = r.version ?? NO_VERSION;
    this.overall.add(r);
    let v = this.versions.get(version);
    if (!v) this.versions.set(version, (v = new Collector()));
    v.add(r);
    for (const f of this.filtered.values()) if (matches(f.tags, r)) f.collector.add(r);

    const second = Math.max(0, Math.floor((r.at - this.origin) / 1000));
    if (second < this.nextSecond) {
      this.late++;
      return;
    }
    this.maxSecond = Math.max(this.maxSecond, second);
    let buckets = this.open.get(second);
    if (!buckets) this.open.set(second, (buckets = new Map()));
    for (const key of [ALL_VERSIONS, version]) {
      let b = buckets.get(key);
      if (!b) buckets.set(key, (b = { requests: 0, failed: 0, codes: new Map(), latencies: [] }));
      b.requests++;
      if (isFailed(r.code)) b.failed++;
      b.codes.set(r.code, (b.codes.get(r.code) ?? 0) + 1);
      if (r.error !== undefined) (b.errors ??= new Map()).set(r.error, (b.errors.get(r.error) ?? 0) + 1);
      b.latencies.push(r.latencyMs);
    }
  }

  /** Every request sent before `atMs` has been added: emit the seconds that ended by then. */
  advanceTo(atMs: number): void {
    if (this.origin === undefined) return;
    this.emitUpTo(Math.floor((atMs - this.origin) / 1000));
  }

  /** The load ended at `endMs`: emit every remaining second (zero rows included) up to it. */
  finish(endMs: number): void {
    if (this.endMs !== undefined) return;
    this.endMs = Math.max(endMs, this.lastAt);
    if (this.origin === undefined) return;
    this.emitUpTo(Math.max(Math.ceil((this.endMs - this.origin) / 1000), this.maxSecond + 1));
  }

  /** The thresholds judged on everything added so far; `nowMs` ends the window for http_reqs' rate. */
  evaluate(nowMs: number, thresholds: readonly Threshold[] = this.thresholds): ThresholdResult[] {
    const seconds = this.origin === undefined ? 0 : Math.max(0, (this.endMs ?? nowMs) - this.origin) / 1000;
    return thresholds.map((t) => {
      const f = this.filtered.get(filterKey(t.tags));
      const c = f ? f.collector : this.overall;
      const { observed, pass } = evaluateThreshold(t, { requests: c.requests, failed: c.failed, seconds, latenciesMs: c.latencies.sorted() });
      return { metric: t.key, expression: t.expression, observed, pass, abortOnFail: t.abortOnFail, samples: c.requests };
    });
  }

  /** Totals overall and per version, and every threshold judged. Call after finish(). */
  summary(): AggregateSummary {
    const end = this.endMs ?? this.lastAt;
    const durationSeconds = this.origin === undefined ? 0 : Math.max(0, end - this.origin) / 1000;
    const byVersion: Record<string, LoadStats> = {};
    for (const name of [...this.versions.keys()].sort()) byVersion[name] = this.versions.get(name)!.stats();
    return {
      requests: this.overall.requests,
      failed: this.overall.failed,
      durationSeconds,
      achievedRate: durationSeconds > 0 ? this.overall.requests / durationSeconds : 0,
      overall: this.overall.stats(),
      byVersion,
      thresholdResults: this.evaluate(end),
      secondsEmitted: this.nextSecond,
      lateResults: this.late,
    };
  }

  private emitUpTo(exclusive: number): void {
    while (this.nextSecond < exclusive) {
      const second = this.nextSecond++;
      const buckets = this.open.get(second);
      this.open.delete(second);
      if (!this.onSecond) continue;
      const versions: Record<string, SecondStats> = {};
      for (const [name, b] of [...(buckets ?? new Map<string, SecondBucket>())].sort(([a], [b]) => a.localeCompare(b))) {
        if (name !== ALL_VERSIONS) versions[name] = secondStats(b);
      }
      this.onSecond({ second, all: secondStats(buckets?.get(ALL_VERSIONS)), versions });
    }
  }
}
