import { describe, expect, it } from "vitest";
import type { PromotedExpectation } from "../scenario/scenario.js";
import type { Stamped } from "../timeline/events.js";
import { analysisEvaluated, CANDIDATE, evidenceOf, loadSecond, loadStarted, rollbackDecided, stageStarted, STABLE, stamp, strategyFinished } from "../../test/support/evidence.js";
import { judge } from "./checker.js";

const promoted: PromotedExpectation = { id: "promoted", kind: "promoted" };

/**
 * A promoted canary: load seconds 0..9 from 10 s. Until `switchAt` both
 * versions serve; from it on, only the candidate. Second 9 is the last (partial)
 * one, so second 8 is the last full second.
 */
function promotedRun(extra: (second: number) => Stamped[] = () => []): Stamped[] {
  const events: Stamped[] = [stageStarted(10, "canary-10", 10), analysisEvaluated(11, "canary-10"), stageStarted(14, "full-deployment", 100), strategyFinished(14, "promoted"), loadStarted(10)];
  for (let s = 0; s < 10; s++) {
    events.push(loadSecond(11 + s, s, CANDIDATE, { requests: s < 4 ? 20 : 200 }));
    if (s < 4) events.push(loadSecond(11 + s, s, STABLE, { requests: 180 }));
    events.push(...extra(s));
  }
  return events;
}

describe("judge: promoted expectations", () => {
  it("holds when the router gives the candidate 100% and the load's last full second went only to it", () => {
    const j = judge(promoted, evidenceOf(promotedRun(), { finalShares: { stable: 0, candidate: 100 } }));
    expect(j.held).toBe(true);
    expect(j.description).toBe("the candidate was promoted: the router sends it all traffic and no rollback happened");
    expect(j.evidence).toBe(`router read back: stable 0%, candidate 100%; the load's last full second went to ${CANDIDATE} ×200`);
  });

  it("is not held when a rollback was decided, whatever the router says", () => {
    const events = [...promotedRun(), rollbackDecided(12, { stage: "canary-10", trigger: "error_rate" })];
    const j = judge(promoted, evidenceOf(events, { finalShares: { stable: 0, candidate: 100 } }));
    expect(j.held).toBe(false);
    expect(j.evidence).toBe("rolled back during canary-10: error rate 20.00% breaches the rollback trigger >5%");
  });

  it("is not held when a stage was inconclusive, naming it and why", () => {
    const reason = "no analysis window of canary-10 held minRequests (30) of the candidate's requests (at most 18), in 2 times its duration";
    const events = [stageStarted(10, "canary-10", 10), stamp(22, { type: "stage.inconclusive", stage: "canary-10", reason }), strategyFinished(22, "inconclusive")];
    const j = judge(promoted, evidenceOf(events, { finalShares: { stable: 100, candidate: 0 } }));
    expect(j).toMatchObject({ held: false, evidence: `canary-10 was inconclusive, so the promotion stopped there: ${reason}` });
    const none = judge({ id: "no-rollback", kind: "rollback", none: true }, evidenceOf(events));
    expect(none).toMatchObject({ held: false, evidence: `no rollback, but canary-10 was inconclusive and the promotion stopped there: ${reason}` });
  });

  it("is not held when the router gives the candidate less than 100%", () => {
    const j = judge(promoted, evidenceOf(promotedRun(), { finalShares: { stable: 1, candidate: 99 } }));
    expect(j.held).toBe(false);
    expect(j.evidence).toContain("router read back: stable 1%, candidate 99%");
    expect(j.timingOnly).toBeUndefined();
  });

  it("is not held when the router was not read back", () => {
    const j = judge(promoted, evidenceOf(promotedRun()));
    expect(j.held).toBe(false);
    expect(j.evidence).toContain("router read back: never read");
  });

  it("is not held when stable still served in the last full second", () => {
    const j = judge(promoted, evidenceOf(promotedRun((s) => (s === 8 ? [loadSecond(19, 8, STABLE, { requests: 1 })] : [])), { finalShares: { stable: 0, candidate: 100 } }));
    expect(j.held).toBe(false);
    expect(j.evidence).toContain(`the load's last full second went to ${CANDIDATE} ×200, ${STABLE} ×1`);
    // The router's weights were right: only the timing of the last second says otherwise, which a saturated machine can explain.
    expect(j.timingOnly).toBe(true);
  });

  it("is not held when answers without a version came in the last full second", () => {
    const j = judge(promoted, evidenceOf(promotedRun((s) => (s === 8 ? [loadSecond(19, 8, "(none)", { requests: 3, failed: 3 })] : [])), { finalShares: { stable: 0, candidate: 100 } }));
    expect(j.held).toBe(false);
  });

  it("does not count a request that got no answer at all against the promotion, and names its cause", () => {
    const lost = loadSecond(19, 8, "(none)", { requests: 1, failed: 1, codes: { "0": 1 }, errors: { EOF: 1 } });
    const j = judge(promoted, evidenceOf(promotedRun((s) => (s === 8 ? [lost] : [])), { finalShares: { stable: 0, candidate: 100 } }));
    expect(j.held).toBe(true);
    expect(j.evidence).toBe(`router read back: stable 0%, candidate 100%; the load's last full second went to ${CANDIDATE} ×200 (1 got no answer: EOF ×1)`);
  });

  it("looks only at the last full second: not the partial last one, not earlier ones", () => {
    const partial = promotedRun((s) => (s === 9 ? [loadSecond(20, 9, STABLE, { requests: 5 })] : []));
    expect(judge(promoted, evidenceOf(partial, { finalShares: { stable: 0, candidate: 100 } })).held).toBe(true);
    const earlier = promotedRun((s) => (s === 7 ? [loadSecond(18, 7, STABLE, { requests: 5 })] : []));
    expect(judge(promoted, evidenceOf(earlier, { finalShares: { stable: 0, candidate: 100 } })).held).toBe(true);
    // The aggregate row "*" is no version.
    const all = promotedRun((s) => (s === 8 ? [loadSecond(19, 8, "*", { requests: 200 })] : []));
    expect(judge(promoted, evidenceOf(all, { finalShares: { stable: 0, candidate: 100 } })).held).toBe(true);
  });

  it("judges on the router alone when the run had no load", () => {
    const events = [stageStarted(10, "full-deployment", 100), strategyFinished(10, "promoted")];
    const j = judge(promoted, evidenceOf(events, { finalShares: { stable: 0, candidate: 100 } }));
    expect(j.held).toBe(true);
    expect(j.evidence).toBe("router read back: stable 0%, candidate 100%");
  });
});
