import type { Analysis, Measurement } from "../../harness/analysis/analysis.js";
import type { Clock } from "../../harness/common/clock.js";
import type { LatencyStatistic } from "../../harness/model/strategy.js";

/** A measurement of a healthy candidate over a busy window; `over` changes what a test needs. */
export function measurement(over: Partial<Measurement> = {}): Measurement {
  return {
    requests: 1000,
    errorRate: 0,
    latencyMs: 100,
    latencyStatistic: "p95",
    queries: { requests: "requests-selector", buckets: "buckets-selector" },
    ...over,
  };
}

/** One call to `measure`, as the fake saw it. */
export interface AnalysisCall {
  /** 0 for the first call. */
  n: number;
  /** The clock's time of the call (undefined without a clock). */
  at: number | undefined;
  version: string;
  windowMs: number;
  extra: readonly LatencyStatistic[];
}

/** What a call returns: a measurement, or an Error the call throws (a failed Prometheus query). */
export type AnalysisResult = Measurement | Error;

/** Per call (the last entry repeats), or computed from the call (its number, its time). */
export type AnalysisScript = readonly AnalysisResult[] | ((call: AnalysisCall) => AnalysisResult);

/**
 * An analysis that answers from a script instead of Prometheus: scripted
 * measurements per call or per time, and scripted errors, with every call
 * recorded (version, window, statistics asked for, time).
 */
export class FakeAnalysis implements Analysis {
  readonly calls: AnalysisCall[] = [];

  constructor(
    private readonly script: AnalysisScript = [measurement()],
    private readonly clock?: Clock,
  ) {}

  async measure(version: string, windowMs: number, extra: readonly LatencyStatistic[] = []): Promise<Measurement> {
    const call: AnalysisCall = { n: this.calls.length, at: this.clock?.now(), version, windowMs, extra: [...extra] };
    this.calls.push(call);
    const result = typeof this.script === "function" ? this.script(call) : (this.script[Math.min(call.n, this.script.length - 1)] ?? measurement());
    if (result instanceof Error) throw result;
    return result;
  }
}

/**
 * A script by time: `[[0, good], [3_000, bad]]` answers `good` until 3 s after
 * `start`, then `bad`. Entries are in increasing time.
 */
export function byTime(start: number, entries: ReadonlyArray<readonly [number, AnalysisResult]>): (call: AnalysisCall) => AnalysisResult {
  return (call) => {
    const since = (call.at ?? start) - start;
    let result = entries[0]?.[1] ?? measurement();
    for (const [from, r] of entries) if (since >= from) result = r;
    return result;
  };
}
