import { describe, expect, it } from "vitest";
import type { RollbackExpectation } from "../scenario/scenario.js";
import type { Stamped } from "../timeline/events.js";
import {
  analysisEvaluated,
  CANDIDATE,
  evidenceOf,
  loadSecond,
  loadStarted,
  rollbackCompleted,
  rollbackDecided,
  routerObserved,
  stageStarted,
  STABLE,
  strategyFinished,
} from "../../test/support/evidence.js";
import { judge } from "./checker.js";

function rollback(over: Partial<RollbackExpectation> = {}): RollbackExpectation {
  return { id: "rolled-back", kind: "rollback", none: false, ...over };
}

const LOAD_AT = 10;
const STAGE_AT = 13;
const DECIDED_AT = 16;

interface Run {
  trigger?: string;
  stage?: string;
  threshold?: string;
  source?: string;
  /** The candidate's share in every router read after the decision. */
  candidateAfter?: number;
  /** Candidate rows of the load stream, by second since the load started (default: 100 requests, 20 failed, p95 120 ms, seconds 0..9). */
  candidateSeconds?: Record<number, { requests?: number; failed?: number; p95?: number }>;
  withLoad?: boolean;
}

/**
 * A canary-fail run: load from 10 s, canary-10 from 13 s, the decision at
 * 16 s, the router read every half second, the load stream per second for
 * stable and candidate until 20 s.
 */
function canaryRun(r: Run = {}): Stamped[] {
  const stage = r.stage ?? "canary-10";
  const trigger = r.trigger ?? "error_rate";
  const events: Stamped[] = [
    stageStarted(STAGE_AT, "canary-10", 10),
    analysisEvaluated(14, "canary-10", { errorRate: 0.01 }),
    analysisEvaluated(15, "canary-10", { errorRate: 0.1 }),
    rollbackDecided(DECIDED_AT, {
      stage,
      trigger,
      ...(r.threshold ? { threshold: r.threshold } : {}),
      ...(r.source ? { source: r.source } : {}),
    }),
    rollbackCompleted(DECIDED_AT + 0.01, stage, trigger),
    strategyFinished(DECIDED_AT + 0.01, "rolled-back"),
  ];
  for (let t = 10; t <= 20; t += 0.5) events.push(routerObserved(t, t < STAGE_AT ? 0 : t < DECIDED_AT + 0.25 ? 10 : (r.candidateAfter ?? 0)));
  if (r.withLoad !== false) {
    events.push(loadStarted(LOAD_AT));
    for (let s = 0; s < 10; s++) events.push(loadSecond(LOAD_AT + s + 1, s, STABLE, { requests: 180 }));
    const candidate = r.candidateSeconds ?? Object.fromEntries(Array.from({ length: 10 }, (_, s) => [s, { requests: 20, failed: 4 }]));
    for (const [s, stats] of Object.entries(candidate)) events.push(loadSecond(LOAD_AT + Number(s) + 1, Number(s), CANDIDATE, stats));
  }
  return events;
}

describe("judge: rollback expectations", () => {
  it("holds when the trigger and stage match, the router is back on stable and the load saw the candidate fail", () => {
    const j = judge(rollback({ trigger: "error_rate", stage: "canary-10" }), evidenceOf(canaryRun(), { finalShares: { stable: 100, candidate: 0 } }));
    expect(j.held).toBe(true);
    expect(j.description).toBe("rolled back by error_rate during canary-10, with the router's weights back on stable");
    expect(j.evidence).toContain("rolled back during canary-10 by error_rate (rollback-trigger): error rate 20.00% breaches the rollback trigger >5%");
    expect(j.evidence).toContain("router read back stable 100%, candidate 0%");
    // Seconds 2..6 of the load (the second holding the stage start, up to the decision): 5 × 20 requests, 5 × 4 failed.
    expect(j.evidence).toContain("load generator saw the candidate fail 20 of 100 (20.0%)");
  });

  it("holds without a trigger or stage named, whichever fired", () => {
    expect(judge(rollback(), evidenceOf(canaryRun({ trigger: "error_rate", stage: "canary-10" }))).held).toBe(true);
  });

  describe("trigger and stage", () => {
    it("is not held when another trigger fired", () => {
      const j = judge(rollback({ trigger: "response_time" }), evidenceOf(canaryRun()));
      expect(j.held).toBe(false);
      expect(j.evidence).toMatch(/^fired by error_rate, not response_time\. rolled back during canary-10/);
    });

    it("is not held when it fired in another stage", () => {
      const j = judge(rollback({ trigger: "error_rate", stage: "canary-50" }), evidenceOf(canaryRun()));
      expect(j.held).toBe(false);
      expect(j.evidence).toMatch(/^during canary-10, not canary-50\. /);
    });

    it("names both mismatches", () => {
      const j = judge(rollback({ trigger: "health_check_failures", stage: "canary-50" }), evidenceOf(canaryRun()));
      expect(j.evidence).toMatch(/^fired by error_rate, not health_check_failures; during canary-10, not canary-50\. /);
    });
  });

  describe("the router, read back on its own", () => {
    it("is not held when the router never showed the candidate at 0% after the decision", () => {
      const j = judge(rollback(), evidenceOf(canaryRun({ candidateAfter: 10 }), { finalShares: { stable: 90, candidate: 10 } }));
      expect(j.held).toBe(false);
      expect(j.evidence).toContain("the router was never read back with the candidate at 0% after the decision (final: stable 90%, candidate 10%)");
      expect(j.evidence).toContain("router read back n/a at ?s after the decision");
    });

    it("does not count the 0% the router showed before the canary started", () => {
      // canaryRun reads 0% before 13 s; after the decision the candidate keeps 3%.
      const j = judge(rollback(), evidenceOf(canaryRun({ candidateAfter: 3 })));
      expect(j.held).toBe(false);
      expect(j.evidence).toContain("(final: never read)");
    });

    it("counts a read at the very moment of the decision", () => {
      const events = canaryRun({ candidateAfter: 10 }).filter((e) => e.type !== "router.observed" || e.t < DECIDED_AT);
      const j = judge(rollback(), evidenceOf([...events, routerObserved(DECIDED_AT, 0)]));
      expect(j.held).toBe(true);
      expect(j.evidence).toContain("router read back stable 100%, candidate 0% at 0.00s after the decision");
    });
  });

  describe("the load generator's view of the candidate", () => {
    it("is not held when the load saw no candidate failure before the decision", () => {
      const quiet = Object.fromEntries(Array.from({ length: 10 }, (_, s) => [s, { requests: 20, failed: 0 }]));
      const j = judge(rollback(), evidenceOf(canaryRun({ candidateSeconds: quiet })));
      expect(j.held).toBe(false);
      expect(j.evidence).toMatch(/^the load generator saw no candidate failure before the decision \(100 requests\)/);
    });

    it("does not count failures after the decision", () => {
      // Seconds 7.. start after the decision (17 s on); only they fail.
      const late = Object.fromEntries(Array.from({ length: 10 }, (_, s) => [s, { requests: 20, failed: s >= 7 ? 10 : 0 }]));
      expect(judge(rollback(), evidenceOf(canaryRun({ candidateSeconds: late }))).held).toBe(false);
    });

    it("does not count failures from before the stage the decision was made in", () => {
      // Seconds 0 and 1 end before canary-10 starts at 13 s (the second holding the start, 2, counts).
      const early = Object.fromEntries(Array.from({ length: 10 }, (_, s) => [s, { requests: 20, failed: s <= 1 ? 10 : 0 }]));
      expect(judge(rollback(), evidenceOf(canaryRun({ candidateSeconds: early }))).held).toBe(false);
      const holdingStart = Object.fromEntries(Array.from({ length: 10 }, (_, s) => [s, { requests: 20, failed: s === 2 ? 1 : 0 }]));
      expect(judge(rollback(), evidenceOf(canaryRun({ candidateSeconds: holdingStart }))).held).toBe(true);
    });

    it("is not held when the load saw no candidate request at all", () => {
      const j = judge(rollback(), evidenceOf(canaryRun({ candidateSeconds: {} })));
      expect(j.held).toBe(false);
      expect(j.evidence).toMatch(/^the load generator saw no candidate request before the decision\. /);
    });

    it("needs the candidate's p95 strictly above a response-time trigger", () => {
      const p95 = (ms: number) => Object.fromEntries(Array.from({ length: 10 }, (_, s) => [s, { requests: 20, failed: 0, p95: s === 4 ? ms : 150 }]));
      const at = judge(rollback({ trigger: "response_time" }), evidenceOf(canaryRun({ trigger: "response_time", candidateSeconds: p95(2000) })));
      expect(at.held).toBe(false);
      expect(at.evidence).toMatch(/^the load generator's candidate p95 \(2000ms\) never breached >2s\. /);
      const above = judge(rollback({ trigger: "response_time" }), evidenceOf(canaryRun({ trigger: "response_time", candidateSeconds: p95(2001) })));
      expect(above.held).toBe(true);
      expect(above.evidence).toContain("load generator saw candidate p95 up to 2001ms");
    });

    it("ignores the p95 of a second in which the candidate served nothing", () => {
      const seconds = Object.fromEntries(Array.from({ length: 10 }, (_, s) => [s, s === 4 ? { requests: 0, failed: 0, p95: 9000 } : { requests: 20, failed: 0, p95: 150 }]));
      expect(judge(rollback(), evidenceOf(canaryRun({ trigger: "response_time", candidateSeconds: seconds }))).held).toBe(false);
    });

    // A stage's success criterion "<500ms" fails at exactly 500 ms ("strict means strict"),
    // so a load generator that saw a p95 of 500 ms does corroborate that rollback.
    it("accepts a p95 exactly at a success criterion's '<500ms' as a failure of it", () => {
      const seconds = Object.fromEntries(Array.from({ length: 10 }, (_, s) => [s, { requests: 20, failed: 0, p95: s === 4 ? 500 : 150 }]));
      const run = canaryRun({ trigger: "response_time", threshold: "<500ms", source: "success-criteria", candidateSeconds: seconds });
      expect(judge(rollback({ trigger: "response_time" }), evidenceOf(run)).held).toBe(true);
    });

    it("does not look at the load for a health-check trigger", () => {
      // No candidate request at all, which would fail an error-rate rollback.
      const j = judge(rollback({ trigger: "health_check_failures" }), evidenceOf(canaryRun({ trigger: "health_check_failures", candidateSeconds: {} })));
      expect(j.held).toBe(true);
      expect(j.evidence).not.toContain("load generator");
    });

    it("judges blue-green's pre-shift health-check timeout on the router alone", () => {
      const events = [
        loadStarted(LOAD_AT),
        loadSecond(11, 0, STABLE, { requests: 200 }),
        routerObserved(10, 0),
        rollbackDecided(12, { stage: "pre-shift", trigger: "health_check_failures", threshold: "timeout 30s", reason: "candidate did not pass /health within the health check timeout (30s spec time)" }),
        routerObserved(12.5, 0),
        strategyFinished(12, "rolled-back"),
      ];
      expect(judge(rollback({ trigger: "health_check_failures", stage: "pre-shift" }), evidenceOf(events)).held).toBe(true);
    });

    it("judges on the router alone when the run had no load", () => {
      const j = judge(rollback(), evidenceOf(canaryRun({ withLoad: false })));
      expect(j.held).toBe(true);
      expect(j.evidence).not.toContain("load generator");
      expect(judge(rollback(), evidenceOf(canaryRun({ withLoad: false, candidateAfter: 10 }))).held).toBe(false);
    });

    // A rollback because analyses kept failing (trigger analysis_errors, threshold ">=4" failures) has
    // nothing in the load to corroborate: it is judged on the router alone, as the health-check trigger is.
    it("does not compare the load's p95 with the failure count of an analysis_errors rollback", () => {
      const fast = Object.fromEntries(Array.from({ length: 10 }, (_, s) => [s, { requests: 20, failed: 0, p95: 3 }]));
      const j = judge(rollback(), evidenceOf(canaryRun({ trigger: "analysis_errors", candidateSeconds: fast })));
      expect(j.held).toBe(true);
    });
  });

  it("is not held when no rollback happened, showing the last analysis", () => {
    const events = [stageStarted(1, "canary-10", 10), analysisEvaluated(2, "canary-10"), analysisEvaluated(3, "canary-50", { errorRate: 0.003, latencyMs: 250.4, healthFailures: 1 }), strategyFinished(4, "promoted")];
    const j = judge(rollback({ trigger: "error_rate" }), evidenceOf(events));
    expect(j.held).toBe(false);
    expect(j.evidence).toBe("no rollback happened; last analysis (canary-50): error rate 0.30%, p95 250ms, 1 health failures");
    expect(judge(rollback(), evidenceOf([])).evidence).toBe("no rollback happened");
  });

  describe("none: true", () => {
    const none = rollback({ id: "no-rollback", none: true });
    const promotedRun = [stageStarted(1, "canary-10", 10), analysisEvaluated(2, "canary-10"), analysisEvaluated(3, "canary-10"), strategyFinished(4, "promoted")];

    it("holds when the strategy finished after analyses without a rollback", () => {
      const j = judge(none, evidenceOf(promotedRun));
      expect(j.held).toBe(true);
      expect(j.evidence).toBe("no rollback in 2 analyses; strategy finished promoted");
      expect(j.description).toBe("no rollback: no trigger fired and no success criterion failed");
    });

    it("is not held when nothing was analysed: nothing could have fired", () => {
      const j = judge(none, evidenceOf([stageStarted(1, "canary-10", 10), strategyFinished(4, "promoted")]));
      expect(j.held).toBe(false);
      expect(j.evidence).toBe("no rollback in 0 analyses; strategy finished promoted");
    });

    it("is not held when a rollback happened", () => {
      const j = judge(none, evidenceOf(canaryRun()));
      expect(j.held).toBe(false);
      expect(j.evidence).toBe("rolled back during canary-10: error rate 20.00% breaches the rollback trigger >5%");
    });

    it("is not held when the strategy never finished", () => {
      const j = judge(none, evidenceOf(promotedRun.filter((e) => e.type !== "strategy.finished")));
      expect(j.held).toBe(false);
      expect(j.evidence).toBe("the strategy never finished, so it cannot be said that nothing fired");
    });
  });
});
