import { describe, expect, it } from "vitest";
import { ALL_VERSIONS, Float64Buffer, LoadAggregator, NO_VERSION, isFailed, type SecondRow } from "./aggregator.js";
import type { RequestResult } from "./load-generator.js";
import { parseThreshold } from "./thresholds.js";

const T0 = 1_800_000_000_000;

/** `version` null: an answer without X-App-Version. */
function result(offsetMs: number, latencyMs: number, code = 200, version: string | null = "good-1"): RequestResult {
  const r: RequestResult = { at: T0 + offsetMs, latencyMs, code };
  if (version !== null) r.version = version;
  if (code === 0) r.error = "connection refused";
  return r;
}

/** Feed results the way runLoad does: in send order, advancing before each. */
function feed(agg: LoadAggregator, results: RequestResult[]): void {
  for (const r of results) {
    agg.advanceTo(r.at);
    agg.add(r);
  }
}

describe("isFailed", () => {
  it("follows k6's expected statuses 200-399", () => {
    expect([0, 100, 199, 400, 404, 500, 503].every(isFailed)).toBe(true);
    expect([200, 201, 204, 301, 399].some(isFailed)).toBe(false);
  });
});

describe("Float64Buffer", () => {
  it("grows past its initial size and sorts numerically", () => {
    const b = new Float64Buffer();
    for (let i = 5000; i > 0; i--) b.push(i / 10);
    expect(b.length).toBe(5000);
    expect(b.values()[0]).toBe(500);
    const s = b.sorted();
    expect(s[0]).toBe(0.1);
    expect(s[4999]).toBe(500);
    expect(s[1]).toBe(0.2); // numeric, not lexicographic
    b.push(0.05);
    expect(b.sorted()[0]).toBe(0.05); // the cache is dropped on push
  });
});

describe("LoadAggregator per second", () => {
  it("emits each completed second in order, with exact percentiles per version and for all", () => {
    const rows: SecondRow[] = [];
    const agg = new LoadAggregator({ onSecond: (r) => rows.push(r) });
    const first = Array.from({ length: 100 }, (_, i) => result(i * 10, i + 1)); // second 0: latencies 1..100 ms
    feed(agg, first);
    expect(rows).toEqual([]); // second 0 is not over until a later request arrives
    feed(agg, [result(1000, 5, 500, "good-2"), result(1500, 7, 0, null)]);
    expect(rows.map((r) => r.second)).toEqual([0]);
    expect(rows[0]!.all).toEqual({ requests: 100, failed: 0, codes: { "200": 100 }, p50: 50.5, p95: 95.05, p99: 99.01, max: 100 });
    expect(Object.keys(rows[0]!.versions)).toEqual(["good-1"]);
    expect(rows[0]!.versions["good-1"]!.requests).toBe(100);
    agg.finish(T0 + 2000);
    expect(rows.map((r) => r.second)).toEqual([0, 1]);
    // A transport error is counted by its text too, so a row says why it failed.
    expect(rows[1]!.all).toMatchObject({ requests: 2, failed: 2, codes: { "0": 1, "500": 1 }, errors: { "connection refused": 1 }, max: 7 });
    expect(rows[1]!.versions[NO_VERSION]!.errors).toEqual({ "connection refused": 1 });
    expect(Object.keys(rows[1]!.versions)).toEqual([NO_VERSION, "good-2"]);
    expect(rows[1]!.versions["good-2"]).toEqual({ requests: 1, failed: 1, codes: { "500": 1 }, p50: 5, p95: 5, p99: 5, max: 5 });
  });

  it("emits seconds without requests as zero rows, up to the end of the load", () => {
    const rows: SecondRow[] = [];
    const agg = new LoadAggregator({ onSecond: (r) => rows.push(r) });
    feed(agg, [result(0, 1), result(3200, 2)]);
    expect(rows.map((r) => [r.second, r.all.requests])).toEqual([
      [0, 1],
      [1, 0],
      [2, 0],
    ]);
    expect(rows[1]).toEqual({ second: 1, all: { requests: 0, failed: 0, codes: {}, p50: 0, p95: 0, p99: 0, max: 0 }, versions: {} });
    agg.finish(T0 + 6000);
    expect(rows.map((r) => r.second)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(rows.reduce((sum, r) => sum + r.all.requests, 0)).toBe(2);
    expect(agg.summary().secondsEmitted).toBe(6);
  });

  it("counts seconds from the first request and covers every request even when finish comes early", () => {
    const rows: SecondRow[] = [];
    const agg = new LoadAggregator({ onSecond: (r) => rows.push(r) });
    feed(agg, [result(500, 1), result(1499, 1), result(1500, 1), result(2600, 1)]);
    agg.finish(0);
    // Origin is the first request (T0+500): 0 and 999 ms are second 0, 1000 ms second 1, 2100 ms second 2.
    expect(rows.map((r) => [r.second, r.all.requests])).toEqual([
      [0, 2],
      [1, 1],
      [2, 1],
    ]);
    expect(agg.startedAt).toBe(T0 + 500);
  });

  it("emits nothing when nothing was sent, and every second once", () => {
    const rows: SecondRow[] = [];
    const agg = new LoadAggregator({ onSecond: (r) => rows.push(r) });
    agg.advanceTo(T0 + 5000);
    agg.finish(T0 + 5000);
    expect(rows).toEqual([]);
    expect(agg.summary()).toMatchObject({ requests: 0, durationSeconds: 0, achievedRate: 0, secondsEmitted: 0 });
    const again = new LoadAggregator({ onSecond: (r) => rows.push(r) });
    feed(again, [result(0, 1)]);
    again.finish(T0 + 1000);
    again.finish(T0 + 9000);
    expect(rows.map((r) => r.second)).toEqual([0]);
    expect(() => again.add(result(2000, 1))).toThrow(/after finish/);
  });

  it("counts a result for a second already emitted in the totals and as late, never in a row", () => {
    const rows: SecondRow[] = [];
    const agg = new LoadAggregator({ onSecond: (r) => rows.push(r) });
    feed(agg, [result(0, 1), result(1200, 1)]);
    agg.add(result(900, 3)); // out of order: second 0 is already out
    agg.finish(T0 + 2000);
    const s = agg.summary();
    expect(s.requests).toBe(3);
    expect(s.lateResults).toBe(1);
    expect(rows.reduce((sum, r) => sum + r.all.requests, 0)).toBe(2);
  });
});

describe("LoadAggregator summary", () => {
  it("totals overall and per version with exact latency statistics", () => {
    const agg = new LoadAggregator();
    const results = [
      ...Array.from({ length: 100 }, (_, i) => result(i * 20, i + 1, i < 10 ? 500 : 200, "erroring-1")),
      ...Array.from({ length: 10 }, (_, i) => result(2000 + i, 1000, 200, "slow-1")),
    ];
    feed(agg, results);
    agg.finish(T0 + 4000);
    const s = agg.summary();
    expect(s.requests).toBe(110);
    expect(s.failed).toBe(10);
    expect(s.durationSeconds).toBe(4);
    expect(s.achievedRate).toBe(27.5);
    expect(Object.keys(s.byVersion)).toEqual(["erroring-1", "slow-1"]);
    expect(s.byVersion["erroring-1"]).toEqual({
      requests: 100,
      failed: 10,
      failedRate: 0.1,
      codes: { "200": 90, "500": 10 },
      latencyMs: { avg: 50.5, min: 1, med: 50.5, p90: expect.closeTo(90.1, 9), p95: 95.05, p99: 99.01, max: 100 },
    });
    expect(s.byVersion["slow-1"]!.latencyMs).toMatchObject({ min: 1000, p95: 1000, max: 1000 });
    expect(s.overall.latencyMs.max).toBe(1000);
    expect(s.overall.failedRate).toBeCloseTo(10 / 110, 12);
  });

  it("judges thresholds with their tag filters, on both sides of the bound", () => {
    const thresholds = [
      parseThreshold("http_req_failed", "rate<0.1"),
      parseThreshold("http_req_failed", "rate<=0.1"),
      parseThreshold("http_req_failed{version:good-1}", "rate==0"),
      parseThreshold("http_req_duration{version:good-1}", "max<=10"),
      parseThreshold("http_req_duration{version:good-1}", "max<10"),
      parseThreshold("http_req_duration{status:500}", "min>=500"),
      parseThreshold("http_reqs{status:500}", "count==2"),
      parseThreshold("http_reqs", "rate>=10"),
      parseThreshold("http_reqs", "rate>10", true),
      parseThreshold("http_reqs{version:missing}", "count<1"),
    ];
    const agg = new LoadAggregator({ thresholds });
    feed(agg, [
      ...Array.from({ length: 18 }, (_, i) => result(i * 100, 10, 200, "good-1")),
      result(1800, 500, 500, "erroring-1"),
      result(1900, 900, 500, "erroring-1"),
    ]);
    agg.finish(T0 + 2000);
    const byExpression = agg.summary().thresholdResults.map((r) => [r.metric, r.expression, r.observed, r.pass, r.samples]);
    expect(byExpression).toEqual([
      ["http_req_failed", "rate<0.1", 0.1, false, 20],
      ["http_req_failed", "rate<=0.1", 0.1, true, 20],
      ["http_req_failed{version:good-1}", "rate==0", 0, true, 18],
      ["http_req_duration{version:good-1}", "max<=10", 10, true, 18],
      ["http_req_duration{version:good-1}", "max<10", 10, false, 18],
      ["http_req_duration{status:500}", "min>=500", 500, true, 2],
      ["http_reqs{status:500}", "count==2", 2, true, 2],
      ["http_reqs", "rate>=10", 10, true, 20],
      ["http_reqs", "rate>10", 10, false, 20],
      ["http_reqs{version:missing}", "count<1", 0, true, 0],
    ]);
    expect(agg.summary().thresholdResults[8]!.abortOnFail).toBe(true);
  });

  it("evaluates mid-run on everything added so far", () => {
    const t = parseThreshold("http_req_failed", "rate<0.5", true);
    const agg = new LoadAggregator({ thresholds: [t] });
    feed(agg, [result(0, 1, 200), result(10, 1, 500)]);
    expect(agg.evaluate(T0 + 1000)[0]).toMatchObject({ observed: 0.5, pass: false, abortOnFail: true });
    feed(agg, [result(20, 1, 200)]);
    expect(agg.evaluate(T0 + 1000)[0]!.pass).toBe(true);
  });

  it("keeps the version rows and the totals consistent at scale", () => {
    const rows: SecondRow[] = [];
    const agg = new LoadAggregator({ onSecond: (r) => rows.push(r) });
    const n = 20_000;
    feed(
      agg,
      Array.from({ length: n }, (_, i) => result(i / 2, (i * 7919) % 1000, i % 50 === 0 ? 503 : 200, i % 4 === 0 ? "good-2" : "good-1")),
    );
    agg.finish(T0 + n / 2);
    const s = agg.summary();
    expect(rows).toHaveLength(10);
    expect(rows.reduce((sum, r) => sum + r.all.requests, 0)).toBe(n);
    expect(rows.reduce((sum, r) => sum + (r.versions["good-2"]?.requests ?? 0), 0)).toBe(s.byVersion["good-2"]!.requests);
    expect(rows.every((r) => r.all.requests === Object.values(r.versions).reduce((a, v) => a + v.requests, 0))).toBe(true);
    expect(s.failed).toBe(n / 50);
    expect(s.overall.latencyMs.max).toBe(999);
    expect(rows.map((r) => r.all.max).every((m) => m <= 999)).toBe(true);
    expect(ALL_VERSIONS).toBe("*");
  });
});
