import { describe, expect, it } from "vitest";
import type { TrafficExpectation } from "../scenario/scenario.js";
import type { Stamped } from "../timeline/events.js";
import { CANDIDATE, evidenceOf, loadSecond, loadStarted, STABLE } from "../../test/support/evidence.js";
import { judge } from "./checker.js";

function traffic(shares: Record<string, number>): TrafficExpectation {
  return { id: "stable-has-all-traffic", kind: "traffic", shares };
}

const onStable = traffic({ stable: 100, candidate: 0 });

/** Load seconds 0..9 from 10 s, all to stable, plus whatever `extra` adds per second; second 8 is the last full one. */
function rolledBackRun(extra: (second: number) => Stamped[] = () => []): Stamped[] {
  const events: Stamped[] = [loadStarted(10)];
  for (let s = 0; s < 10; s++) events.push(loadSecond(11 + s, s, STABLE, { requests: 200 }), ...extra(s));
  return events;
}

describe("judge: traffic expectations", () => {
  it("holds when the router's final shares are the expected ones", () => {
    const j = judge(onStable, evidenceOf(rolledBackRun(), { finalShares: { stable: 100, candidate: 0 } }));
    expect(j.held).toBe(true);
    expect(j.description).toBe("the router's weights, read back at the end: stable 100%, candidate 0%");
    expect(j.evidence).toBe(`router read back: stable 100%, candidate 0%; the load's last full second went to ${STABLE} ×200`);
  });

  it("allows half a percentage point, and not more", () => {
    expect(judge(onStable, evidenceOf([], { finalShares: { stable: 99.5, candidate: 0.5 } })).held).toBe(true);
    const off = judge(onStable, evidenceOf([], { finalShares: { stable: 99.49, candidate: 0.51 } }));
    expect(off.held).toBe(false);
    expect(off.evidence).toBe("router read back: stable 99.49%, candidate 0.51%");
    const half = traffic({ stable: 50, candidate: 50 });
    expect(judge(half, evidenceOf([], { finalShares: { stable: 50.5, candidate: 49.5 } })).held).toBe(true);
    expect(judge(half, evidenceOf([], { finalShares: { stable: 49.4, candidate: 50.6 } })).held).toBe(false);
  });

  it("takes a role the router did not report as 0%", () => {
    expect(judge(onStable, evidenceOf([], { finalShares: { stable: 100 } })).held).toBe(true);
    expect(judge(traffic({ stable: 90, candidate: 10 }), evidenceOf([], { finalShares: { stable: 100 } })).held).toBe(false);
  });

  it("is not held when the router was not read back at the end", () => {
    const j = judge(onStable, evidenceOf(rolledBackRun()));
    expect(j).toMatchObject({ held: false, evidence: "the router's weights were not read back at the end" });
  });

  it("is not held when a role at 0% still served in the load's last full second", () => {
    const events = rolledBackRun((s) => (s === 8 ? [loadSecond(19, 8, CANDIDATE, { requests: 2 })] : []));
    const j = judge(onStable, evidenceOf(events, { finalShares: { stable: 100, candidate: 0 } }));
    expect(j.held).toBe(false);
    expect(j.evidence).toBe(`router read back: stable 100%, candidate 0%; the load's last full second went to ${STABLE} ×200, ${CANDIDATE} ×2`);
    // Right weights, wrong last second: failed on timing evidence only (a saturated machine can explain it).
    expect(j.timingOnly).toBe(true);
  });

  it("is not a timing failure when the router's weights themselves are wrong", () => {
    const j = judge(onStable, evidenceOf(rolledBackRun(), { finalShares: { stable: 90, candidate: 10 } }));
    expect(j.held).toBe(false);
    expect(j.timingOnly).toBeUndefined();
  });

  it("does not count the partial last second, earlier seconds, or seconds without requests", () => {
    const finalShares = { stable: 100, candidate: 0 };
    const partial = rolledBackRun((s) => (s === 9 ? [loadSecond(20, 9, CANDIDATE, { requests: 2 })] : []));
    expect(judge(onStable, evidenceOf(partial, { finalShares })).held).toBe(true);
    const earlier = rolledBackRun((s) => (s === 7 ? [loadSecond(18, 7, CANDIDATE, { requests: 2 })] : []));
    expect(judge(onStable, evidenceOf(earlier, { finalShares })).held).toBe(true);
    const empty = rolledBackRun((s) => (s === 8 ? [loadSecond(19, 8, CANDIDATE, { requests: 0 })] : []));
    expect(judge(onStable, evidenceOf(empty, { finalShares })).held).toBe(true);
  });

  it("does not mind a role with a share above 0 serving", () => {
    const events = rolledBackRun((s) => [loadSecond(11 + s, s, CANDIDATE, { requests: 20 })]);
    const j = judge(traffic({ stable: 90, candidate: 10 }), evidenceOf(events, { finalShares: { stable: 90, candidate: 10 } }));
    expect(j.held).toBe(true);
  });
});
