import { describe, expect, it } from "vitest";
import { parseComparison, type Comparison } from "../document/comparison.js";
import { wilson } from "../analysis/intervals.js";
import { decide, decideHealth, judgeWindow, type RollbackTriggers } from "./decide.js";
import type { Stage } from "../document/stages.js";
import { measurement } from "../../test/support/fake-analysis.js";

function c(text: string): Comparison {
  const parsed = parseComparison(text);
  if (!parsed) throw new Error(`bad comparison ${text}`);
  return parsed;
}

/** The document's rollback triggers. */
const TRIGGERS: RollbackTriggers = { errorRate: c(">5%"), responseTime: c(">2s"), healthCheckFailures: 3 };

/** The document's first canary stage. */
const CANARY_10: Stage = { name: "canary-10", percentage: 10, durationMs: 600_000, criteria: { errorRate: c("<1%"), responseTime: c("<500ms") } };
const NO_CRITERIA: Stage = { name: "full-deployment", percentage: 100, durationMs: 0, criteria: {} };

const MIN_REQUESTS = 20;


describe("decide: health checks", () => {
  it("rolls back at the limit of consecutive failures", () => {
    expect(decide(measurement(), 3, TRIGGERS, CANARY_10, MIN_REQUESTS)).toEqual({
      trigger: "health_check_failures",
      source: "rollback-trigger",
      reason: "3 consecutive health-check failures reach the limit of 3",
      observed: 3,
      threshold: ">=3",
    });
    expect(decide(measurement(), 4, TRIGGERS, CANARY_10, MIN_REQUESTS)?.trigger).toBe("health_check_failures");
  });

  it("does not roll back below the limit", () => {
    expect(decide(measurement(), 2, TRIGGERS, CANARY_10, MIN_REQUESTS)).toBeUndefined();
    expect(decide(measurement(), 0, TRIGGERS, CANARY_10, MIN_REQUESTS)).toBeUndefined();
  });

  it("counts health failures even when the window holds too few requests", () => {
    const quiet = measurement({ requests: 0, errorRate: undefined, latencyMs: undefined });
    expect(decide(quiet, 3, TRIGGERS, CANARY_10, MIN_REQUESTS)?.trigger).toBe("health_check_failures");
    expect(decide(quiet, 2, TRIGGERS, CANARY_10, MIN_REQUESTS)).toBeUndefined();
  });

  it("puts health failures before every metric", () => {
    const bad = measurement({ errorRate: 0.5, latencyMs: 9000 });
    expect(decide(bad, 3, TRIGGERS, CANARY_10, MIN_REQUESTS)?.trigger).toBe("health_check_failures");
  });
});

describe("decideHealth: the health trigger without a measurement", () => {
  it("fires at the limit and not below, with the same decision as decide", () => {
    expect(decideHealth(2, TRIGGERS)).toBeUndefined();
    expect(decideHealth(0, TRIGGERS)).toBeUndefined();
    expect(decideHealth(3, TRIGGERS)).toEqual(decide(measurement(), 3, TRIGGERS, CANARY_10, MIN_REQUESTS));
    expect(decideHealth(5, { ...TRIGGERS, healthCheckFailures: 5 })).toMatchObject({ trigger: "health_check_failures", observed: 5, threshold: ">=5" });
  });
});

describe("decide: rollback triggers", () => {
  it("does not fire '>5%' at exactly 5%", () => {
    expect(decide(measurement({ errorRate: 0.05 }), 0, TRIGGERS, NO_CRITERIA, MIN_REQUESTS)).toBeUndefined();
    expect(decide(measurement({ errorRate: 50 / 1000 }), 0, TRIGGERS, NO_CRITERIA, MIN_REQUESTS)).toBeUndefined();
  });

  it("fires '>5%' at 5.01%", () => {
    expect(decide(measurement({ errorRate: 0.0501 }), 0, TRIGGERS, NO_CRITERIA, MIN_REQUESTS)).toEqual({
      trigger: "error_rate",
      source: "rollback-trigger",
      reason: "error rate 5.01% (1000 requests) breaches the rollback trigger >5%",
      observed: 0.0501,
      threshold: ">5%",
    });
  });

  it("does not fire '>2s' at exactly 2000 ms", () => {
    expect(decide(measurement({ latencyMs: 2000 }), 0, TRIGGERS, NO_CRITERIA, MIN_REQUESTS)).toBeUndefined();
  });

  it("fires '>2s' at 2001 ms, naming the latency statistic", () => {
    expect(decide(measurement({ latencyMs: 2001 }), 0, TRIGGERS, NO_CRITERIA, MIN_REQUESTS)).toEqual({
      trigger: "response_time",
      source: "rollback-trigger",
      reason: "p95 response time 2001ms (1000 requests) breaches the rollback trigger >2s",
      observed: 2001,
      threshold: ">2s",
    });
    const avg = decide(measurement({ latencyMs: 2500, latencyStatistic: "avg" }), 0, TRIGGERS, NO_CRITERIA, MIN_REQUESTS);
    expect(avg?.reason).toBe("avg response time 2500ms (1000 requests) breaches the rollback trigger >2s");
  });

  it("checks the error rate before the latency", () => {
    const both = decide(measurement({ errorRate: 0.2, latencyMs: 3000 }), 0, TRIGGERS, NO_CRITERIA, MIN_REQUESTS);
    expect(both?.trigger).toBe("error_rate");
    expect(both?.reason).toBe("error rate 20.00% (1000 requests) breaches the rollback trigger >5%");
  });

  it("follows the triggers it is given", () => {
    const strict: RollbackTriggers = { errorRate: c(">=1%"), responseTime: c(">=300ms"), healthCheckFailures: 1 };
    expect(decide(measurement({ errorRate: 0.01 }), 0, strict, NO_CRITERIA, MIN_REQUESTS)?.threshold).toBe(">=1%");
    expect(decide(measurement({ latencyMs: 300 }), 0, strict, NO_CRITERIA, MIN_REQUESTS)?.threshold).toBe(">=300ms");
    expect(decide(measurement(), 1, strict, NO_CRITERIA, MIN_REQUESTS)?.threshold).toBe(">=1");
  });
});

describe("decide: a stage's success criteria", () => {
  it("fails '<1%' at exactly 1%", () => {
    expect(decide(measurement({ errorRate: 0.01 }), 0, TRIGGERS, CANARY_10, MIN_REQUESTS)).toEqual({
      trigger: "error_rate",
      source: "success-criteria",
      reason: "error rate 1.00% (1000 requests) fails the success criterion <1%",
      observed: 0.01,
      threshold: "<1%",
    });
    // 10 errors in 1000 requests, as Prometheus would compute it.
    expect(decide(measurement({ errorRate: 10 / 1000 }), 0, TRIGGERS, CANARY_10, MIN_REQUESTS)?.source).toBe("success-criteria");
  });

  it("passes '<1%' at 0.99%", () => {
    expect(decide(measurement({ errorRate: 0.0099 }), 0, TRIGGERS, CANARY_10, MIN_REQUESTS)).toBeUndefined();
  });

  it("fails '<500ms' at exactly 500 ms", () => {
    expect(decide(measurement({ latencyMs: 500 }), 0, TRIGGERS, CANARY_10, MIN_REQUESTS)).toEqual({
      trigger: "response_time",
      source: "success-criteria",
      reason: "p95 response time 500ms (1000 requests) fails the success criterion <500ms",
      observed: 500,
      threshold: "<500ms",
    });
  });

  it("passes '<500ms' at 499 ms", () => {
    expect(decide(measurement({ latencyMs: 499 }), 0, TRIGGERS, CANARY_10, MIN_REQUESTS)).toBeUndefined();
  });

  it("checks the error-rate criterion before the latency criterion", () => {
    expect(decide(measurement({ errorRate: 0.02, latencyMs: 600 }), 0, TRIGGERS, CANARY_10, MIN_REQUESTS)?.trigger).toBe("error_rate");
  });

  it("has nothing to fail in a stage without criteria", () => {
    expect(decide(measurement({ errorRate: 0.04, latencyMs: 1999 }), 0, TRIGGERS, NO_CRITERIA, MIN_REQUESTS)).toBeUndefined();
  });

  it("checks only the criteria the stage has", () => {
    const latencyOnly: Stage = { ...CANARY_10, criteria: { responseTime: c("<500ms") } };
    expect(decide(measurement({ errorRate: 0.04 }), 0, TRIGGERS, latencyOnly, MIN_REQUESTS)).toBeUndefined();
    expect(decide(measurement({ latencyMs: 800 }), 0, TRIGGERS, latencyOnly, MIN_REQUESTS)?.source).toBe("success-criteria");
  });
});

describe("decide: precedence and thin data", () => {
  it("reports a rollback trigger, not a failed criterion, when both hold", () => {
    const d = decide(measurement({ errorRate: 0.2 }), 0, TRIGGERS, CANARY_10, MIN_REQUESTS);
    expect(d).toMatchObject({ trigger: "error_rate", source: "rollback-trigger", threshold: ">5%" });
  });

  it("reports a latency trigger before an error-rate criterion", () => {
    // 2% fails the stage's "<1%", but 2500 ms breaches the document's ">2s" trigger, which comes first.
    const d = decide(measurement({ errorRate: 0.02, latencyMs: 2500 }), 0, TRIGGERS, CANARY_10, MIN_REQUESTS);
    expect(d).toMatchObject({ trigger: "response_time", source: "rollback-trigger", threshold: ">2s" });
  });

  it("decides nothing on metrics with fewer than minRequests requests", () => {
    const thin = measurement({ requests: MIN_REQUESTS - 1, errorRate: 1 / 3, latencyMs: 5000 });
    expect(decide(thin, 0, TRIGGERS, CANARY_10, MIN_REQUESTS)).toBeUndefined();
    expect(decide(thin, 2, TRIGGERS, CANARY_10, MIN_REQUESTS)).toBeUndefined();
  });

  it("decides on metrics from exactly minRequests requests on", () => {
    const enough = measurement({ requests: MIN_REQUESTS, errorRate: 1 / 3 });
    expect(decide(enough, 0, TRIGGERS, CANARY_10, MIN_REQUESTS)?.source).toBe("rollback-trigger");
  });

  it("never fires on an undefined error rate (no requests served)", () => {
    const none = measurement({ requests: 0, errorRate: undefined, latencyMs: undefined });
    expect(decide(none, 0, TRIGGERS, CANARY_10, 0)).toBeUndefined();
    // Even with a latency figure present and requests counted, a missing error rate neither fires nor fails.
    const noRate = measurement({ errorRate: undefined, latencyMs: 100 });
    expect(decide(noRate, 0, TRIGGERS, CANARY_10, MIN_REQUESTS)).toBeUndefined();
    const zeroBound: RollbackTriggers = { ...TRIGGERS, errorRate: c(">=0%") };
    expect(decide(noRate, 0, zeroBound, CANARY_10, MIN_REQUESTS)).toBeUndefined();
  });

  it("never fires on an undefined latency", () => {
    const noLatency = measurement({ latencyMs: undefined });
    const zeroLatency: RollbackTriggers = { ...TRIGGERS, responseTime: c(">=0ms") };
    expect(decide(noLatency, 0, zeroLatency, CANARY_10, MIN_REQUESTS)).toBeUndefined();
  });
});

describe("a criterion that names its own latency statistic", () => {
  it("judges p99<500ms on the p99, not on the default p95", async () => {
    const { parseComparison } = await import("../document/comparison.js");
    const p99 = parseComparison("p99<500ms")!;
    expect(p99).toMatchObject({ op: "<", value: 500, unit: "ms", statistic: "p99" });
    const stage = { name: "canary-10", percentage: 10, durationMs: 600_000, criteria: { responseTime: p99 } };
    const triggers = { errorRate: parseComparison(">5%")!, responseTime: parseComparison(">2s")!, healthCheckFailures: 3 };
    const base = { requests: 100, errorRate: 0, latencyMs: 200, latencyStatistic: "p95" as const, queries: { requests: "", buckets: "" } };
    const slowTail = decide({ ...base, latencies: { p95: 200, p99: 700 } }, 0, triggers, stage, 10);
    expect(slowTail).toMatchObject({ trigger: "response_time", source: "success-criteria", observed: 700, threshold: "p99<500ms" });
    expect(slowTail!.reason).toContain("p99 response time 700ms");
    expect(decide({ ...base, latencies: { p95: 200, p99: 499 } }, 0, triggers, stage, 10)).toBeUndefined();
    // Not measured: nothing to judge, so no decision on it.
    expect(decide({ ...base, latencies: { p95: 200 } }, 0, triggers, stage, 10)).toBeUndefined();
  });
});

describe("judgeWindow: evidence strength and the decision policy", () => {
  // 5 errors in 18 requests: 27.8%, Wilson 95% 12.5-50.9%.
  const small = measurement({ requests: 18, errorRate: 5 / 18, intervals: { errorRate: wilson(5, 18) } });

  it("names the requests and the interval of the figure it decided on", () => {
    expect(decide(small, 0, TRIGGERS, NO_CRITERIA, 10)?.reason).toBe("error rate 27.78% (18 requests, 95% CI 12-51%) breaches the rollback trigger >5%");
  });

  it("significant: breaches only when the whole interval is beyond the trigger", () => {
    expect(judgeWindow(small, 0, TRIGGERS, NO_CRITERIA, 10, "significant")).toMatchObject({ kind: "breach", decision: { trigger: "error_rate" } });
    // 2 errors in 20 (10%): 2.8-30.1%, reaching below 5%.
    const straddles = measurement({ requests: 20, errorRate: 0.1, intervals: { errorRate: wilson(2, 20) } });
    expect(judgeWindow(straddles, 0, TRIGGERS, NO_CRITERIA, 10, "literal").kind).toBe("breach");
    const undecided = judgeWindow(straddles, 0, TRIGGERS, NO_CRITERIA, 10, "significant");
    expect(undecided).toEqual({ kind: "undecided", reason: "error rate 10.00% (20 requests, 95% CI 2.8-30%) straddles >5%" });
  });

  it("significant: passes a criterion only when the whole interval is within it", () => {
    // 0 errors in 300 requests: up to 1.26%, which <1% does not cover; in 1000: up to 0.38%.
    const few = measurement({ requests: 300, errorRate: 0, intervals: { errorRate: wilson(0, 300) } });
    const many = measurement({ requests: 1000, errorRate: 0, intervals: { errorRate: wilson(0, 1000) } });
    expect(judgeWindow(few, 0, TRIGGERS, CANARY_10, 10, "literal").kind).toBe("pass");
    expect(judgeWindow(few, 0, TRIGGERS, CANARY_10, 10, "significant").kind).toBe("undecided");
    expect(judgeWindow(many, 0, TRIGGERS, CANARY_10, 10, "significant").kind).toBe("pass");
  });

  it("significant: compares a latency quantile's interval, and avg (no interval) literally", () => {
    const p95 = (ms: number, lo: number, hi: number) => measurement({ latencyMs: ms, intervals: { errorRate: wilson(0, 1000), latencies: { p95: [lo, hi] } } });
    expect(judgeWindow(p95(480, 470, 495), 0, TRIGGERS, CANARY_10, 10, "significant").kind).toBe("pass");
    expect(judgeWindow(p95(495, 480, 510), 0, TRIGGERS, CANARY_10, 10, "significant").kind).toBe("undecided");
    expect(judgeWindow(p95(520, 505, 540), 0, TRIGGERS, CANARY_10, 10, "significant")).toMatchObject({ kind: "breach", decision: { source: "success-criteria", trigger: "response_time" } });
    const avg = measurement({ latencyMs: 510, latencyStatistic: "avg", intervals: { errorRate: wilson(0, 1000) } });
    expect(judgeWindow(avg, 0, TRIGGERS, CANARY_10, 10, "significant").kind).toBe("breach");
  });

  it("a window under minRequests is unjudged, under either policy; health failures still count", () => {
    expect(judgeWindow(small, 0, TRIGGERS, NO_CRITERIA, 20, "literal")).toEqual({ kind: "unjudged", reason: "18 requests in the window, under minRequests 20" });
    expect(judgeWindow(small, 3, TRIGGERS, NO_CRITERIA, 20, "significant").kind).toBe("breach");
  });
});
