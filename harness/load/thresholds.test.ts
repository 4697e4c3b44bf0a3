import { describe, expect, it } from "vitest";
import { evaluateThreshold, parseMetricKey, parseThreshold, percentile, ThresholdError, type ThresholdStats } from "./thresholds.js";

function stats(partial: Partial<ThresholdStats> = {}): ThresholdStats {
  return { requests: 0, failed: 0, seconds: 0, latenciesMs: [], ...partial };
}

function thresholdError(key: string, expression: string): ThresholdError {
  let caught: unknown;
  try {
    parseThreshold(key, expression);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(ThresholdError);
  return caught as ThresholdError;
}

/** 1..100 ms: p(N) is easy to reason about. */
const ONE_TO_HUNDRED = Array.from({ length: 100 }, (_, i) => i + 1);

describe("parseThreshold", () => {
  it("reads every aggregation, operator and number form", () => {
    expect(parseThreshold("http_req_duration", "p(95)<500")).toMatchObject({
      key: "http_req_duration",
      metric: "http_req_duration",
      tags: {},
      expression: "p(95)<500",
      aggregation: { kind: "p", p: 95 },
      op: "<",
      value: 500,
      abortOnFail: false,
    });
    expect(parseThreshold("http_req_duration", " p( 99.9 ) <= 1500.5 ")).toMatchObject({ aggregation: { kind: "p", p: 99.9 }, op: "<=", value: 1500.5 });
    expect(parseThreshold("http_req_duration", "p(100)<1").aggregation).toEqual({ kind: "p", p: 100 });
    for (const kind of ["avg", "min", "max", "med"] as const) {
      expect(parseThreshold("http_req_duration", `${kind}>=10`).aggregation).toEqual({ kind });
    }
    expect(parseThreshold("http_req_failed", "rate<0.01", true)).toMatchObject({ aggregation: { kind: "rate" }, op: "<", value: 0.01, abortOnFail: true });
    expect(parseThreshold("http_reqs", "count>100").aggregation).toEqual({ kind: "count" });
    expect(parseThreshold("http_reqs", "rate==200").op).toBe("==");
    expect(parseThreshold("http_reqs", "rate!=0").op).toBe("!=");
    expect(parseThreshold("http_reqs", "count>-1").value).toBe(-1);
  });

  it("reads tag filters on the metric key", () => {
    expect(parseThreshold("http_req_duration{version:good-1}", "p(99)<800").tags).toEqual({ version: "good-1" });
    expect(parseThreshold("http_reqs{status:500}", "count<10").tags).toEqual({ status: 500 });
    expect(parseMetricKey("http_req_failed{ version: good-2 , status:503 }")).toEqual({ metric: "http_req_failed", tags: { version: "good-2", status: 503 } });
  });

  it.each([
    ["p95<500", 'must be a k6 threshold like "p(95)<500", got "p95<500"'],
    ["p(95)", 'must be a k6 threshold like "p(95)<500", got "p(95)"'],
    ["p(95)=<500", 'got "p(95)=<500"'],
    ["p(95)<500ms", 'got "p(95)<500ms"'],
    ["p(95)<", 'got "p(95)<"'],
    ["", 'got ""'],
  ])("rejects the expression %j", (expression, message) => {
    const e = thresholdError("http_req_duration", expression);
    expect(e.part).toBe("expression");
    expect(e.message).toContain(message);
  });

  it("gives the example that fits the metric", () => {
    expect(thresholdError("http_req_failed", "rate<1%").message).toBe('must be a k6 threshold like "rate<0.01", got "rate<1%"');
  });

  it.each(["p(0)<1", "p(100.5)<1", "p(101)<1"])("rejects the percentile in %j", (expression) => {
    expect(thresholdError("http_req_duration", expression).message).toContain("must name a percentile in (0, 100]");
  });

  it.each([
    ["http_req_duration", "rate<0.01", "uses rate, which http_req_duration does not have; use avg, min, max, med, p(N)"],
    ["http_req_duration", "count<5", "uses count, which http_req_duration does not have"],
    ["http_req_failed", "p(95)<0.1", "uses p(N), which http_req_failed does not have; use rate"],
    ["http_req_failed", "count<3", "uses count, which http_req_failed does not have"],
    ["http_reqs", "avg<3", "uses avg, which http_reqs does not have; use count, rate"],
  ])("rejects an aggregation %s does not have (%s)", (key, expression, message) => {
    const e = thresholdError(key, expression);
    expect(e.part).toBe("expression");
    expect(e.message).toContain(message);
  });

  it("rejects an unknown metric, suggesting the nearest", () => {
    const e = thresholdError("http_req_durations", "p(95)<500");
    expect(e.part).toBe("metric");
    expect(e.message).toBe('is not a metric the load generator measures (did you mean "http_req_duration"?); known metrics: http_req_failed, http_req_duration, http_reqs');
    expect(thresholdError("iterations", "count>1").message).not.toContain("did you mean");
  });

  it.each(["http_reqs{method:GET}", "http_reqs{status:abc}", "http_reqs{status:700}", "http_reqs{version}", "http_reqs{version:a,version:b}", "http_reqs{}"])(
    "rejects the tag filter in %s",
    (key) => {
      const e = thresholdError(key, "count>1");
      expect(e.part).toBe("metric");
      expect(e.message).toContain("has a tag filter the harness does not know");
    },
  );
});

describe("evaluateThreshold", () => {
  const duration = (expression: string) => parseThreshold("http_req_duration", expression);

  it("judges p(N) on both sides of the bound, strict operators failing at it", () => {
    const s = stats({ requests: 100, latenciesMs: ONE_TO_HUNDRED });
    // p(50) of 1..100 with interpolation between closest ranks: rank 49.5 -> 50.5.
    expect(evaluateThreshold(duration("p(50)<50.6"), s)).toEqual({ observed: 50.5, pass: true });
    expect(evaluateThreshold(duration("p(50)<50.4"), s)).toEqual({ observed: 50.5, pass: false });
    expect(evaluateThreshold(duration("p(50)<50.5"), s).pass).toBe(false);
    expect(evaluateThreshold(duration("p(50)<=50.5"), s).pass).toBe(true);
    expect(evaluateThreshold(duration("p(50)>50.5"), s).pass).toBe(false);
    expect(evaluateThreshold(duration("p(50)>=50.5"), s).pass).toBe(true);
    expect(evaluateThreshold(duration("p(50)>50.4"), s).pass).toBe(true);
    expect(evaluateThreshold(duration("p(50)==50.5"), s).pass).toBe(true);
    expect(evaluateThreshold(duration("p(50)!=50.5"), s).pass).toBe(false);
    expect(evaluateThreshold(duration("p(50)!=50"), s).pass).toBe(true);
    expect(evaluateThreshold(duration("med<=50.5"), s)).toEqual({ observed: 50.5, pass: true });
    expect(evaluateThreshold(duration("p(99.9)<100"), s).observed).toBeCloseTo(99.901, 6);
    expect(evaluateThreshold(duration("p(100)<100"), s)).toEqual({ observed: 100, pass: false });
    expect(evaluateThreshold(duration("p(100)<=100"), s)).toEqual({ observed: 100, pass: true });
  });

  it("judges avg, min and max", () => {
    const s = stats({ requests: 4, latenciesMs: [10, 20, 30, 40] });
    expect(evaluateThreshold(duration("avg<25"), s)).toEqual({ observed: 25, pass: false });
    expect(evaluateThreshold(duration("avg<=25"), s).pass).toBe(true);
    expect(evaluateThreshold(duration("avg<25.01"), s).pass).toBe(true);
    expect(evaluateThreshold(duration("min>10"), s)).toEqual({ observed: 10, pass: false });
    expect(evaluateThreshold(duration("min>=10"), s).pass).toBe(true);
    expect(evaluateThreshold(duration("min>9.9"), s).pass).toBe(true);
    expect(evaluateThreshold(duration("max<40"), s)).toEqual({ observed: 40, pass: false });
    expect(evaluateThreshold(duration("max<=40"), s).pass).toBe(true);
    expect(evaluateThreshold(duration("max<40.1"), s).pass).toBe(true);
  });

  it("judges http_req_failed's rate as the failed share", () => {
    const t = (e: string) => parseThreshold("http_req_failed", e);
    const s = stats({ requests: 200, failed: 2 });
    expect(evaluateThreshold(t("rate<0.01"), s)).toEqual({ observed: 0.01, pass: false });
    expect(evaluateThreshold(t("rate<=0.01"), s).pass).toBe(true);
    expect(evaluateThreshold(t("rate<0.011"), s).pass).toBe(true);
    expect(evaluateThreshold(t("rate<0.009"), s).pass).toBe(false);
    expect(evaluateThreshold(t("rate>0.009"), s).pass).toBe(true);
    expect(evaluateThreshold(t("rate>0.01"), s).pass).toBe(false);
  });

  it("judges http_reqs' count and rate per second", () => {
    const t = (e: string) => parseThreshold("http_reqs", e);
    const s = stats({ requests: 1000, seconds: 5 });
    expect(evaluateThreshold(t("count>1000"), s)).toEqual({ observed: 1000, pass: false });
    expect(evaluateThreshold(t("count>=1000"), s).pass).toBe(true);
    expect(evaluateThreshold(t("count>999"), s).pass).toBe(true);
    expect(evaluateThreshold(t("rate>=200"), s)).toEqual({ observed: 200, pass: true });
    expect(evaluateThreshold(t("rate>200"), s).pass).toBe(false);
    expect(evaluateThreshold(t("rate>199.9"), s).pass).toBe(true);
    expect(evaluateThreshold(t("rate<200"), s).pass).toBe(false);
  });

  it("observes 0 when there is nothing to judge", () => {
    expect(evaluateThreshold(duration("p(95)<500"), stats())).toEqual({ observed: 0, pass: true });
    expect(evaluateThreshold(duration("avg>0"), stats())).toEqual({ observed: 0, pass: false });
    expect(evaluateThreshold(parseThreshold("http_req_failed", "rate<0.01"), stats())).toEqual({ observed: 0, pass: true });
    expect(evaluateThreshold(parseThreshold("http_reqs", "rate>1"), stats({ requests: 5 }))).toEqual({ observed: 0, pass: false });
  });
});

describe("percentile", () => {
  it("interpolates between the closest ranks and handles tiny inputs", () => {
    expect(percentile([], 95)).toBe(0);
    expect(percentile([7], 50)).toBe(7);
    expect(percentile([7], 100)).toBe(7);
    expect(percentile([1, 2], 50)).toBe(1.5);
    expect(percentile([1, 2, 3, 4], 75)).toBe(3.25);
    expect(percentile(Float64Array.from(ONE_TO_HUNDRED), 95)).toBeCloseTo(95.05, 10);
  });
});
