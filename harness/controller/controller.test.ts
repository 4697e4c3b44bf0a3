import { describe, expect, it } from "vitest";
import { TimeScale } from "../common/clock.js";
import { HarnessError } from "../common/errors.js";
import { parseComparison, type Comparison } from "../document/comparison.js";
import type { Stage } from "../document/stages.js";
import type { Service } from "../platforms/platform.js";
import type { EventOf, TimelineEvent } from "../timeline/events.js";
import { ManualClock } from "../../test/support/manual-clock.js";
import { FakeRouter } from "../../test/support/fake-router.js";
import { FakeAnalysis, byTime, measurement, type AnalysisScript } from "../../test/support/fake-analysis.js";
import { FakeHealthProbe, type HealthScript } from "../../test/support/fake-health-probe.js";
import { requestsToTell } from "../analysis/sample-size.js";
import { DEFAULT_CONSECUTIVE_ERROR_LIMIT, GRADUAL_STEPS, MAX_SIGNIFICANT_EXTENSION, runStrategy, type ControllerOptions, type StrategyOutcome } from "./controller.js";
import type { RollbackTriggers } from "./decide.js";

function c(text: string): Comparison {
  const parsed = parseComparison(text);
  if (!parsed) throw new Error(`bad comparison ${text}`);
  return parsed;
}

const T0 = 1_000_000;
/** The document's rollback triggers. */
const TRIGGERS: RollbackTriggers = { errorRate: c(">5%"), responseTime: c(">2s"), healthCheckFailures: 3 };
/** The document's canary: 600 s at 10%, 900 s at 50%, then everything. */
const CANARY: Stage[] = [
  { name: "canary-10", percentage: 10, durationMs: 600_000, criteria: { errorRate: c("<1%"), responseTime: c("<500ms") } },
  { name: "canary-50", percentage: 50, durationMs: 900_000, criteria: { errorRate: c("<0.5%"), responseTime: c("<300ms") } },
  { name: "full-deployment", percentage: 100, durationMs: 0, criteria: {} },
];
/** The document's blue-green shifts: 10% for 300 s, 50% for 600 s, then everything. */
const BLUE_GREEN: Stage[] = [
  { name: "shift-10", percentage: 10, durationMs: 300_000, criteria: { errorRate: c("<=5%") } },
  { name: "shift-50", percentage: 50, durationMs: 600_000, criteria: { errorRate: c("<=5%") } },
  { name: "shift-100", percentage: 100, durationMs: 0, criteria: {} },
];

function service(role: string, version: string, instances = 1): Service {
  return { role, version, instances: Array.from({ length: instances }, (_, i) => ({ name: `${role}-${i}`, address: `${role}-${i}:8000`, baseUrl: `http://${role}-${i}.invalid` })) };
}

interface Setup {
  analysis?: AnalysisScript;
  health?: HealthScript;
  candidateInstances?: number;
  options?: Partial<ControllerOptions>;
}

/** A controller wired to fakes: manual clock at T0, time scale 0.01, analysis every 1 s over 2 s, 10 requests minimum. */
function setup(s: Setup = {}) {
  const clock = new ManualClock({ start: T0 });
  const router = new FakeRouter(clock);
  const analysis = new FakeAnalysis(s.analysis ?? [measurement()], clock);
  const health = new FakeHealthProbe(s.health ?? [200], clock);
  const events: Array<{ time: number; event: TimelineEvent }> = [];
  const abort = new AbortController();
  const options: ControllerOptions = {
    strategy: "canary",
    stages: CANARY,
    triggers: TRIGGERS,
    rollbackStrategy: "immediate",
    stable: service("stable", "good-1"),
    candidate: service("candidate", "erroring-1", s.candidateInstances ?? 1),
    router,
    analysis,
    healthPath: "/health",
    intervalMs: 1_000,
    windowMs: 2_000,
    minRequests: 10,
    scale: new TimeScale(0.01),
    clock,
    emit: (event) => void events.push({ time: clock.now(), event }),
    signal: abort.signal,
    healthProbe: health.probe,
    ...s.options,
  };
  const of = <T extends TimelineEvent["type"]>(type: T) => events.filter((e) => e.event.type === type).map((e) => ({ time: e.time, ...(e.event as EventOf<T>) }));
  return {
    clock,
    router,
    analysis,
    health,
    events,
    options,
    abort,
    of,
    types: () => events.map((e) => e.event.type).filter((t) => t !== "health.checked"),
    run: (): Promise<StrategyOutcome> => clock.run(runStrategy(options)),
  };
}

const failing = (message = "prometheus query failed: 503 Service Unavailable") => new HarnessError("COMMAND_FAILED", message);

describe("runStrategy: canary stages", () => {
  it("sets the router's shares stage by stage, each stage lasting its duration scaled by the time scale", async () => {
    const t = setup();
    const outcome = await t.run();
    expect(outcome).toEqual({ result: "promoted" });
    // 600 s and 900 s at scale 0.01: 6 s and 9 s of wall time.
    expect(t.router.changes).toEqual([
      { at: T0, shares: { stable: 90, candidate: 10 } },
      { at: T0 + 6_000, shares: { stable: 50, candidate: 50 } },
      { at: T0 + 15_000, shares: { stable: 0, candidate: 100 } },
    ]);
    expect(t.of("stage.started").map((e) => [e.stage, e.percentage, e.time])).toEqual([
      ["canary-10", 10, T0],
      ["canary-50", 50, T0 + 6_000],
      ["full-deployment", 100, T0 + 15_000],
    ]);
    expect(t.of("strategy.started")[0]!.stages).toEqual([
      { name: "canary-10", percentage: 10, specSeconds: 600, wallSeconds: 6, criteria: { errorRate: "<1%", responseTime: "<500ms" } },
      { name: "canary-50", percentage: 50, specSeconds: 900, wallSeconds: 9, criteria: { errorRate: "<0.5%", responseTime: "<300ms" } },
      { name: "full-deployment", percentage: 100, specSeconds: 0, wallSeconds: 0, criteria: {} },
    ]);
    expect(t.of("strategy.started")[0]!.triggers).toEqual({ errorRate: ">5%", responseTime: ">2s", healthCheckFailures: 3 });
    // One analysis per interval: 6 in canary-10, 9 in canary-50, none in the last stage (no duration).
    expect(t.analysis.calls.map((call) => call.at! - T0)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15].map((s) => s * 1_000));
    expect(t.analysis.calls.every((call) => call.version === "erroring-1")).toBe(true);
    expect(t.of("analysis.evaluated").map((e) => e.stage)).toEqual([...Array(6).fill("canary-10"), ...Array(9).fill("canary-50")]);
    expect(t.of("strategy.finished")).toEqual([{ time: T0 + 15_000, type: "strategy.finished", result: "promoted" }]);
    expect(t.of("rollback.decided")).toEqual([]);
    expect(t.clock.pending).toBe(0);
  });

  it.each([
    [0.1, 60_000, 90_000],
    [0.001, 600, 900],
  ])("scales the stages at time scale %s (%s ms and %s ms)", async (factor, first, second) => {
    const t = setup({ options: { scale: new TimeScale(factor), intervalMs: 300, windowMs: 600 } });
    await t.run();
    expect(t.router.changes.map((ch) => ch.at - T0)).toEqual([0, first, first + second]);
    expect(t.router.candidateShares()).toEqual([10, 50, 100]);
  });

  it("promotes when every analysis passes, with the health of every candidate instance checked each interval", async () => {
    const t = setup({ candidateInstances: 2 });
    await t.run();
    const urls = [...new Set(t.health.calls.map((call) => call.url))];
    expect(urls).toEqual(["http://candidate-0.invalid/health", "http://candidate-1.invalid/health"]);
    expect(t.health.calls).toHaveLength(2 * 15);
    expect(t.of("health.checked").every((e) => e.status === 200 && e.consecutiveFailures === 0)).toBe(true);
    expect(t.types().at(-1)).toBe("strategy.finished");
    expect(t.of("strategy.finished")[0]!.result).toBe("promoted");
  });

  it("asks for the latency statistics the trigger and the stage's criterion name", async () => {
    const stages: Stage[] = [{ name: "canary-10", percentage: 10, durationMs: 200_000, criteria: { responseTime: c("p99<500ms") } }];
    const t = setup({ options: { stages, triggers: { ...TRIGGERS, responseTime: c("avg>2s") } } });
    await t.run();
    expect(t.analysis.calls[0]!.extra).toEqual(["avg", "p99"]);
  });
});

describe("runStrategy: the analysis window", () => {
  it("grows with the stage and never reaches back before the stage started", async () => {
    const t = setup({ options: { windowMs: 3_500 } });
    await t.run();
    const windows = t.analysis.calls.map((call) => call.windowMs);
    // canary-10: 1, 2, 3, then the full 3.5 s; canary-50 starts again from one interval.
    expect(windows.slice(0, 6)).toEqual([1_000, 2_000, 3_000, 3_500, 3_500, 3_500]);
    expect(windows.slice(6, 10)).toEqual([1_000, 2_000, 3_000, 3_500]);
    expect(t.of("analysis.evaluated").slice(0, 4).map((e) => e.windowSeconds)).toEqual([1, 2, 3, 3.5]);
  });

  it("is never shorter than one interval, even for a window set below it", async () => {
    const t = setup({ options: { intervalMs: 1_500, windowMs: 1_000 } });
    await t.run();
    expect(new Set(t.analysis.calls.map((call) => call.windowMs))).toEqual(new Set([1_000]));
    const wide = setup({ options: { intervalMs: 1_500, windowMs: 10_000 } });
    await wide.run();
    expect(wide.analysis.calls.slice(0, 4).map((call) => call.windowMs)).toEqual([1_500, 3_000, 4_500, 6_000]);
  });

  it("cuts the last interval of a stage short at the stage's end", async () => {
    // 5 s of canary-10 at a 2 s interval: analyses at 2 s, 4 s and 5 s.
    const stages: Stage[] = [{ ...CANARY[0]!, durationMs: 500_000 }, CANARY[2]!];
    const t = setup({ options: { stages, intervalMs: 2_000, windowMs: 3_000 } });
    await t.run();
    expect(t.analysis.calls.map((call) => [call.at! - T0, call.windowMs])).toEqual([
      [2_000, 2_000],
      [4_000, 3_000],
      [5_000, 3_000],
    ]);
    expect(t.router.changes.map((ch) => ch.at - T0)).toEqual([0, 5_000]);
  });
});

describe("runStrategy: immediate rollback", () => {
  it("puts the router back to 100/0 at once when a trigger fires, and says so in order", async () => {
    const t = setup({ analysis: [measurement(), measurement({ errorRate: 0.2 })] });
    const outcome = await t.run();
    expect(t.router.changes).toEqual([
      { at: T0, shares: { stable: 90, candidate: 10 } },
      { at: T0 + 2_000, shares: { stable: 100, candidate: 0 } },
    ]);
    expect(t.types()).toEqual(["strategy.started", "stage.started", "analysis.evaluated", "analysis.evaluated", "rollback.decided", "rollback.completed", "strategy.finished"]);
    expect(t.of("rollback.decided")).toEqual([
      {
        time: T0 + 2_000,
        type: "rollback.decided",
        stage: "canary-10",
        strategy: "immediate",
        trigger: "error_rate",
        source: "rollback-trigger",
        reason: "error rate 20.00% (1000 requests) breaches the rollback trigger >5%",
        observed: 0.2,
        threshold: ">5%",
      },
    ]);
    expect(t.of("rollback.completed")).toEqual([{ time: T0 + 2_000, type: "rollback.completed", stage: "canary-10", trigger: "error_rate", seconds: 0 }]);
    expect(t.of("strategy.finished")).toEqual([{ time: T0 + 2_000, type: "strategy.finished", result: "rolled-back" }]);
    expect(outcome).toEqual({
      result: "rolled-back",
      rollback: { trigger: "error_rate", source: "rollback-trigger", reason: "error rate 20.00% (1000 requests) breaches the rollback trigger >5%", observed: 0.2, threshold: ">5%", stage: "canary-10", decidedAt: T0 + 2_000, completedAt: T0 + 2_000 },
    });
    // Nothing more is analysed or shifted after the decision.
    expect(t.analysis.calls).toHaveLength(2);
    expect(t.clock.pending).toBe(0);
  });

  it("rolls back when a stage's success criterion fails, in the stage it fails", async () => {
    // 0.7% errors pass canary-10 (<1%) and fail canary-50 (<0.5%).
    const t = setup({ analysis: [measurement({ errorRate: 0.007 })] });
    const outcome = await t.run();
    expect(outcome.rollback).toMatchObject({ trigger: "error_rate", source: "success-criteria", stage: "canary-50", decidedAt: T0 + 7_000 });
    expect(t.router.candidateShares()).toEqual([10, 50, 0]);
  });

  it("rolls back on the response-time trigger from a script by time", async () => {
    const t = setup({ analysis: byTime(T0, [[0, measurement()], [3_500, measurement({ latencyMs: 2_500 })]]) });
    const outcome = await t.run();
    expect(outcome.rollback).toMatchObject({ trigger: "response_time", stage: "canary-10", decidedAt: T0 + 4_000 });
  });

  it("rolls back on consecutive health-check failures of the worst instance", async () => {
    // candidate-1 fails from its second check on; candidate-0 stays healthy.
    const t = setup({ candidateInstances: 2, health: (call) => (call.url.includes("candidate-1") && call.n >= 1 ? 503 : 200) });
    const outcome = await t.run();
    expect(outcome.rollback).toMatchObject({ trigger: "health_check_failures", stage: "canary-10", observed: 3, decidedAt: T0 + 4_000 });
    const streak = t.of("health.checked").filter((e) => e.target === "candidate/candidate-1").map((e) => e.consecutiveFailures);
    expect(streak).toEqual([0, 1, 2, 3]);
    expect(t.of("analysis.evaluated").map((e) => e.healthFailures)).toEqual([0, 1, 2, 3]);
  });

  it("counts a health probe that throws as a failed check, naming the error", async () => {
    const t = setup({
      health: (call) => {
        if (call.n >= 1) throw new Error("socket hang up");
        return 200;
      },
    });
    const outcome = await t.run();
    expect(outcome.rollback).toMatchObject({ trigger: "health_check_failures", decidedAt: T0 + 4_000 });
    expect(t.of("health.checked")[1]).toMatchObject({ status: null, error: "socket hang up", consecutiveFailures: 1 });
  });
});

describe("runStrategy: gradual rollback", () => {
  it(`steps the candidate down 10 -> 8 -> 5 -> 3 -> 0, one interval apart (${GRADUAL_STEPS} steps)`, async () => {
    const t = setup({ analysis: [measurement(), measurement(), measurement({ errorRate: 0.2 })], options: { rollbackStrategy: "gradual" } });
    const outcome = await t.run();
    const decided = T0 + 3_000;
    expect(t.router.changes).toEqual([
      { at: T0, shares: { stable: 90, candidate: 10 } },
      { at: decided, shares: { stable: 92, candidate: 8 } },
      { at: decided + 1_000, shares: { stable: 95, candidate: 5 } },
      { at: decided + 2_000, shares: { stable: 97, candidate: 3 } },
      { at: decided + 3_000, shares: { stable: 100, candidate: 0 } },
    ]);
    expect(t.of("rollback.step").map((e) => [e.candidatePercentage, e.time - decided])).toEqual([
      [8, 0],
      [5, 1_000],
      [3, 2_000],
    ]);
    expect(t.of("rollback.decided")[0]).toMatchObject({ strategy: "gradual", time: decided });
    expect(t.of("rollback.completed")[0]).toMatchObject({ seconds: 3, time: decided + 3_000 });
    expect(outcome.rollback).toMatchObject({ decidedAt: decided, completedAt: decided + 3_000 });
    // The candidate is no longer analysed while it steps down.
    expect(t.analysis.calls).toHaveLength(3);
  });

  it("steps down from the stage's own share (50 -> 38 -> 25 -> 13 -> 0)", async () => {
    const t = setup({ analysis: byTime(T0, [[0, measurement()], [7_000, measurement({ errorRate: 0.2 })]]), options: { rollbackStrategy: "gradual" } });
    await t.run();
    expect(t.router.candidateShares()).toEqual([10, 50, 38, 25, 13, 0]);
  });

  it("goes straight to 0 when no traffic had moved (blue-green before the shift)", async () => {
    const t = setup({ health: [503], options: { strategy: "blue-green", stages: BLUE_GREEN, rollbackStrategy: "gradual", healthCheckTimeoutMs: 2_000, scale: new TimeScale(1) } });
    await t.run();
    expect(t.router.candidateShares()).toEqual([0]);
    expect(t.of("rollback.step")).toEqual([]);
  });
});

describe("runStrategy: blue-green health check before the shift", () => {
  /** Health-check timeout of 30 s spec at scale 0.1: 3 s of wall time, checked every second. */
  const blueGreen = (health: HealthScript) => setup({ health, options: { strategy: "blue-green", stages: BLUE_GREEN, healthCheckTimeoutMs: 30_000, scale: new TimeScale(0.1) } });

  it("rolls back at stage pre-shift with health_check_failures when the candidate never passes, with no traffic moved", async () => {
    const t = blueGreen([503]);
    const outcome = await t.run();
    expect(outcome.rollback).toMatchObject({
      trigger: "health_check_failures",
      source: "rollback-trigger",
      stage: "pre-shift",
      threshold: "timeout 30s",
      reason: "candidate did not pass /health within the health check timeout (30s spec time)",
      decidedAt: T0 + 3_000,
    });
    // Checked at 0, 1, 2 and 3 s; the router is only ever told stable 100%.
    expect(t.health.calls.map((call) => call.at! - T0)).toEqual([0, 1_000, 2_000, 3_000]);
    expect(outcome.rollback!.observed).toBe(4);
    expect(t.router.changes).toEqual([{ at: T0 + 3_000, shares: { stable: 100, candidate: 0 } }]);
    expect(t.of("stage.started")).toEqual([]);
    expect(t.analysis.calls).toEqual([]);
    expect(t.types()).toEqual(["strategy.started", "rollback.decided", "rollback.completed", "strategy.finished"]);
  });

  it("shifts once the candidate passes, from the time it passed", async () => {
    const t = blueGreen([503, null, 200]);
    const outcome = await t.run();
    expect(outcome.result).toBe("promoted");
    // 300 s and 600 s at scale 0.1, after passing at 2 s.
    expect(t.router.changes.map((ch) => [ch.at - T0, ch.shares.candidate])).toEqual([
      [2_000, 10],
      [32_000, 50],
      [92_000, 100],
    ]);
    expect(t.of("health.checked").slice(0, 3).map((e) => [e.status, e.consecutiveFailures, e.error])).toEqual([
      [503, 1, undefined],
      [null, 2, "ECONNREFUSED"],
      [200, 0, undefined],
    ]);
  });
});

describe("runStrategy: minimum requests", () => {
  it("does not judge a window with fewer requests than the minimum, and does not pass a stage on such windows", async () => {
    const t = setup({ analysis: [measurement({ requests: 9, errorRate: 0.5, latencyMs: 9_000 })] });
    const outcome = await t.run();
    expect(t.of("analysis.evaluated")[0]).toMatchObject({ requests: 9, errorRate: 0.5, verdict: "unjudged", why: "9 requests in the window, under minRequests 10" });
    // canary-10 is 6 s wall: observed 6 s more, then inconclusive; the promotion stops and stable gets everything back.
    expect(t.of("stage.extended")).toEqual([
      { time: T0 + 6_000, type: "stage.extended", stage: "canary-10", reason: "no analysis window of canary-10 held minRequests (10) of the candidate's requests (at most 9)", extraSeconds: 6 },
    ]);
    expect(t.of("stage.inconclusive")).toEqual([
      { time: T0 + 12_000, type: "stage.inconclusive", stage: "canary-10", reason: "no analysis window of canary-10 held minRequests (10) of the candidate's requests (at most 9), in 2 times its duration" },
    ]);
    expect(outcome).toEqual({ result: "inconclusive", inconclusive: { stage: "canary-10", reason: expect.stringContaining("held minRequests") } });
    expect(t.router.changes.at(-1)).toEqual({ at: T0 + 12_000, shares: { stable: 100, candidate: 0 } });
    expect(t.of("strategy.finished")).toEqual([{ time: T0 + 12_000, type: "strategy.finished", result: "inconclusive" }]);
    expect(t.of("rollback.decided")).toEqual([]);
  });

  it("passes a stage whose first judged window comes in its extension", async () => {
    const t = setup({ analysis: byTime(T0, [[0, measurement({ requests: 5 })], [7_500, measurement()]]) });
    const outcome = await t.run();
    expect(outcome.result).toBe("promoted");
    expect(t.of("stage.extended").map((e) => e.stage)).toEqual(["canary-10"]);
    // canary-10 passed at its first judged window (8 s), not at the end of the extension.
    expect(t.of("stage.started").map((e) => [e.stage, e.time])).toEqual([
      ["canary-10", T0],
      ["canary-50", T0 + 8_000],
      ["full-deployment", T0 + 17_000],
    ]);
  });

  it("judges a window with exactly the minimum", async () => {
    const t = setup({ analysis: [measurement({ requests: 10, errorRate: 0.5 })] });
    const outcome = await t.run();
    expect(outcome.rollback).toMatchObject({ trigger: "error_rate", decidedAt: T0 + 1_000 });
  });

  it("still counts health failures in a quiet window", async () => {
    const t = setup({ analysis: [measurement({ requests: 0, errorRate: undefined, latencyMs: undefined })], health: [503] });
    const outcome = await t.run();
    expect(outcome.rollback).toMatchObject({ trigger: "health_check_failures", decidedAt: T0 + 3_000 });
  });
});

describe("runStrategy: the significant policy", () => {
  const clear = measurement({ requests: 1000, errorRate: 0, intervals: { errorRate: [0, 0.0038], latencies: { p95: [90, 110] } } });
  const straddling = measurement({ requests: 300, errorRate: 0, intervals: { errorRate: [0, 0.0126], latencies: { p95: [90, 110] } } });

  it("keeps observing while the last judged window is undecided, and passes once one is clear", async () => {
    const t = setup({ analysis: byTime(T0, [[0, straddling], [6_500, clear]]), options: { policy: "significant" } });
    const outcome = await t.run();
    expect(outcome.result).toBe("promoted");
    expect(t.of("analysis.evaluated")[0]).toMatchObject({ verdict: "undecided", why: "error rate 0.00% (300 requests, 95% CI 0.0-1.3%) straddles <1%" });
    expect(t.of("stage.extended")[0]).toMatchObject({ stage: "canary-10", reason: expect.stringMatching(/^the last judged window of canary-10 was undecided/) });
  });

  it("widens the window to the whole stage once the stage is extended, so the evidence accumulates", async () => {
    const t = setup({ analysis: [straddling], options: { policy: "significant" } });
    await t.run();
    // canary-10 is 6 s: windows of 1, 2, 2, 2, 2, 2 s, then (extended) 7, 8, ... s: all of the stage so far.
    const windows = t.analysis.calls.map((c) => c.windowMs / 1000);
    expect(windows.slice(0, 8)).toEqual([1, 2, 2, 2, 2, 2, 7, 8]);
    expect(windows.slice(6, -1)).toEqual(windows.slice(6, -1).map((_, i) => 7 + i));
  });

  it("extends an undecided stage until it holds the requests that tell its error-rate thresholds, at the candidate's rate", async () => {
    // 300 requests per 2 s window: 150 a second. canary-10's <1% needs requestsToTell(0.01) of them.
    const t = setup({ analysis: [straddling], options: { policy: "significant" } });
    const outcome = await t.run();
    const needed = requestsToTell(0.01);
    const extraSeconds = needed / 150 - 6;
    expect(t.of("stage.extended")).toEqual([expect.objectContaining({ stage: "canary-10", requestsNeeded: needed, extraSeconds: expect.closeTo(extraSeconds, 6) })]);
    expect(t.analysis.calls.at(-1)!.windowMs / 1000).toBeCloseTo(6 + extraSeconds, 0);
    expect(outcome.inconclusive?.reason).toContain(`${needed} being what tells a candidate at twice or half its error-rate threshold`);
  });

  it("extends it at most MAX_SIGNIFICANT_EXTENSION times the stage, however slow the candidate's requests come", async () => {
    const slow = measurement({ requests: 20, errorRate: 0, intervals: { errorRate: [0, 0.16], latencies: { p95: [90, 110] } } });
    const t = setup({ analysis: [slow], options: { policy: "significant", minRequests: 10 } });
    const outcome = await t.run();
    expect(t.of("stage.extended")[0]).toMatchObject({ extraSeconds: MAX_SIGNIFICANT_EXTENSION * 6 });
    expect(outcome.inconclusive?.reason).toContain(`in ${1 + MAX_SIGNIFICANT_EXTENSION} times its duration`);
  });

  it("keeps the document's sliding window under the literal policy, extended or not", async () => {
    const t = setup({ analysis: [measurement({ requests: 5 })] });
    await t.run();
    expect(t.analysis.calls.map((c) => c.windowMs / 1000)).toEqual([1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]);
  });

  it("stops the promotion when the stage stays undecided", async () => {
    const t = setup({ analysis: [straddling], options: { policy: "significant" } });
    const outcome = await t.run();
    expect(outcome).toMatchObject({ result: "inconclusive", inconclusive: { stage: "canary-10" } });
    expect(t.of("rollback.decided")).toEqual([]);
  });

  it("literal passes the same windows the significant policy cannot", async () => {
    const t = setup({ analysis: [straddling] });
    expect((await t.run()).result).toBe("promoted");
  });
});

describe("runStrategy: abort", () => {
  it("stops between analyses when the signal aborts, with the signal's reason and no further shift", async () => {
    const t = setup();
    const running = runStrategy(t.options);
    const settled = running.then(
      () => "resolved",
      (e: unknown) => e,
    );
    await t.clock.advance(2_500);
    expect(t.analysis.calls).toHaveLength(2);
    const reason = new HarnessError("INTERRUPTED", "interrupted");
    t.abort.abort(reason);
    expect(await settled).toBe(reason);
    expect(t.router.candidateShares()).toEqual([10]);
    expect(t.of("strategy.finished")).toEqual([]);
    expect(t.clock.pending).toBe(0);
  });

  it("stops without judging an analysis that was in flight when the signal aborted", async () => {
    const t = setup();
    const abortingAnalysis = new FakeAnalysis((call) => {
      if (call.n === 1) t.abort.abort(new HarnessError("INTERRUPTED", "interrupted"));
      return measurement({ errorRate: call.n === 1 ? 0.9 : 0 });
    }, t.clock);
    await expect(t.clock.run(runStrategy({ ...t.options, analysis: abortingAnalysis }))).rejects.toMatchObject({ code: "INTERRUPTED" });
    expect(t.of("analysis.evaluated")).toHaveLength(1);
    expect(t.of("rollback.decided")).toEqual([]);
  });

  it("stops the blue-green health check when the signal aborts, without rolling back", async () => {
    const t = setup({ health: [503], options: { strategy: "blue-green", stages: BLUE_GREEN, healthCheckTimeoutMs: 30_000, scale: new TimeScale(0.1) } });
    const settled = runStrategy(t.options).then(
      () => "resolved",
      (e: unknown) => e,
    );
    await t.clock.advance(1_500);
    t.abort.abort(new HarnessError("INTERRUPTED", "interrupted"));
    expect(await settled).toMatchObject({ code: "INTERRUPTED" });
    expect(t.router.changes).toEqual([]);
    expect(t.of("rollback.decided")).toEqual([]);
  });
});

describe("runStrategy: analyses that fail", () => {
  it(`counts a failed analysis, says so, and goes on (limit ${DEFAULT_CONSECUTIVE_ERROR_LIMIT} by default)`, async () => {
    const t = setup({ analysis: [failing(), measurement()] });
    const outcome = await t.run();
    expect(outcome.result).toBe("promoted");
    expect(t.of("analysis.failed")).toEqual([
      { time: T0 + 1_000, type: "analysis.failed", stage: "canary-10", version: "erroring-1", error: "prometheus query failed: 503 Service Unavailable", consecutiveErrors: 1, limit: 4 },
    ]);
    // The failed interval is not judged; the next one is, with a window from the stage's start.
    expect(t.of("analysis.evaluated")).toHaveLength(14);
    expect(t.of("analysis.evaluated")[0]).toMatchObject({ time: T0 + 2_000, windowSeconds: 2 });
  });

  it("resets the count after a successful analysis", async () => {
    // Three failures, one success, three failures...: never four in a row.
    const t = setup({ analysis: (call) => (call.n % 4 === 3 ? measurement() : failing()) });
    const outcome = await t.run();
    expect(outcome.result).toBe("promoted");
    expect(t.of("analysis.failed").slice(0, 6).map((e) => e.consecutiveErrors)).toEqual([1, 2, 3, 1, 2, 3]);
  });

  it("rolls back with trigger analysis_errors when the limit of failures in a row is reached", async () => {
    const t = setup({ analysis: [measurement(), failing(), failing(), failing(), failing("connect ECONNREFUSED 127.0.0.1:9090")] });
    const outcome = await t.run();
    expect(t.of("analysis.failed").map((e) => e.consecutiveErrors)).toEqual([1, 2, 3, 4]);
    const decided = t.of("rollback.decided");
    expect(decided).toHaveLength(1);
    expect(decided[0]).toMatchObject({
      time: T0 + 5_000,
      stage: "canary-10",
      trigger: "analysis_errors",
      source: "analysis-errors",
      observed: 4,
      threshold: ">=4",
    });
    expect(decided[0]!.reason).toBe("4 analyses in a row failed, reaching the limit of 4 (last error: connect ECONNREFUSED 127.0.0.1:9090); the candidate cannot be judged");
    expect(t.router.changes.at(-1)).toEqual({ at: T0 + 5_000, shares: { stable: 100, candidate: 0 } });
    expect(outcome).toMatchObject({ result: "rolled-back", rollback: { trigger: "analysis_errors", stage: "canary-10" } });
    expect(t.types().slice(-3)).toEqual(["rollback.decided", "rollback.completed", "strategy.finished"]);
  });

  it("takes the limit from consecutiveErrorLimit", async () => {
    const t = setup({ analysis: [failing()], options: { consecutiveErrorLimit: 2 } });
    const outcome = await t.run();
    expect(t.of("analysis.failed").map((e) => [e.consecutiveErrors, e.limit])).toEqual([
      [1, 2],
      [2, 2],
    ]);
    expect(outcome.rollback).toMatchObject({ trigger: "analysis_errors", observed: 2, threshold: ">=2", decidedAt: T0 + 2_000 });
  });

  it("counts failures in a row across a stage boundary", async () => {
    // canary-10's last two analyses fail, then canary-50's first two.
    const t = setup({ analysis: (call) => (call.n >= 4 ? failing() : measurement()) });
    const outcome = await t.run();
    expect(outcome.rollback).toMatchObject({ trigger: "analysis_errors", stage: "canary-50", decidedAt: T0 + 8_000 });
    expect(t.of("analysis.failed").map((e) => [e.stage, e.consecutiveErrors])).toEqual([
      ["canary-10", 1],
      ["canary-10", 2],
      ["canary-50", 3],
      ["canary-50", 4],
    ]);
  });

  it("still counts health-check failures while the metrics queries fail", async () => {
    const t = setup({ analysis: [failing()], health: [503] });
    const outcome = await t.run();
    // Three health failures come before four query failures.
    expect(outcome.rollback).toMatchObject({ trigger: "health_check_failures", observed: 3, decidedAt: T0 + 3_000 });
    expect(t.of("health.checked").map((e) => e.consecutiveFailures)).toEqual([1, 2, 3]);
    expect(t.of("analysis.failed")).toHaveLength(3);
  });

  it("does not pass a stage whose every analysis failed, even under the limit", async () => {
    const stages: Stage[] = [{ ...CANARY[0]!, durationMs: 300_000 }, CANARY[2]!];
    const t = setup({ analysis: [failing()], options: { stages } });
    const outcome = await t.run();
    expect(t.of("analysis.failed")).toHaveLength(3);
    expect(outcome.rollback).toMatchObject({ trigger: "analysis_errors", stage: "canary-10", observed: 3, decidedAt: T0 + 3_000 });
    expect(outcome.rollback!.reason).toMatch(/^no analysis of canary-10 succeeded \(3 in a row failed, under the limit of 4\)/);
    expect(t.router.candidateShares()).toEqual([10, 0]);
  });
});

describe("runStrategy: a saturated machine", () => {
  const slow = measurement({ latencyMs: 2_500 });
  /** Saturated between two times after T0 (ms), with a reason. */
  const saturatedBetween = (from: number, to: number) => (a: number, b: number) => (a < T0 + to && b > T0 + from ? "host CPU 100% busy (limit 97%) for 2 samples in a row" : undefined);

  it("does not roll back on a breach while the machine was saturated, and rolls back once it is not", async () => {
    const t = setup({ analysis: [slow], options: { saturation: saturatedBetween(0, 2_500) } });
    const outcome = await t.run();
    // Windows of 2 s end at 1, 2, 3 and 4 s, each reaching back into the saturation (to 2.5 s); the one ending at 5 s is clear: a breach.
    expect(t.of("analysis.evaluated").map((e) => e.verdict)).toEqual(["saturated", "saturated", "saturated", "saturated", "breach"]);
    expect(t.of("analysis.evaluated")[0]!.why).toBe(
      "p95 response time 2500ms (1000 requests) breaches the rollback trigger >2s, while host CPU 100% busy (limit 97%) for 2 samples in a row",
    );
    expect(outcome.rollback).toMatchObject({ trigger: "response_time", decidedAt: T0 + 5_000 });
  });

  it("ends the stage inconclusive, marked saturated, when the machine stays saturated", async () => {
    const t = setup({ analysis: [slow], options: { saturation: saturatedBetween(0, 60_000) } });
    const outcome = await t.run();
    expect(outcome).toMatchObject({ result: "inconclusive", inconclusive: { stage: "canary-10", saturated: true, reason: expect.stringMatching(/^the last judged window of canary-10 was taken on a saturated machine \(p95 response time 2500ms/) } });
    expect(t.of("rollback.decided")).toEqual([]);
    expect(t.router.changes.at(-1)?.shares).toEqual({ stable: 100, candidate: 0 });
  });

  it("keeps a pass taken on a saturated machine: saturation can only make a candidate look worse", async () => {
    const t = setup({ options: { saturation: saturatedBetween(0, 60_000) } });
    expect((await t.run()).result).toBe("promoted");
  });

  it("does not pass a stage whose last judged window breached on a saturated machine", async () => {
    // Passes until 5 s, then breaches under saturation to the stage's end: extended, then passed by a clear window.
    const t = setup({ analysis: byTime(T0, [[0, measurement()], [4_500, slow], [8_500, measurement()]]), options: { saturation: saturatedBetween(4_000, 8_000) } });
    const outcome = await t.run();
    expect(outcome.result).toBe("promoted");
    expect(t.of("stage.extended").map((e) => e.stage)).toEqual(["canary-10"]);
    expect(t.of("stage.started").map((e) => [e.stage, e.time])).toContainEqual(["canary-50", T0 + 9_000]);
  });
});
