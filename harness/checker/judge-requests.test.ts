import { describe, expect, it } from "vitest";
import { parseComparison } from "../document/comparison.js";
import type { RequestsExpectation } from "../scenario/scenario.js";
import type { Stamped } from "../timeline/events.js";
import { evidenceOf, loadSecond, loadStarted, stamp } from "../../test/support/evidence.js";
import { judge } from "./checker.js";

const step = (name: string, from: number, to: number): Stamped[] => [
  stamp(from, { type: "step.started", step: name, kind: "action deploy-last-known-good", specSeconds: to - from, wallSeconds: to - from }),
  stamp(to, { type: "step.finished", step: name, kind: "action deploy-last-known-good", wallSeconds: to - from }),
];

/** The load from t=10: 20 requests a second, seconds 0..29; `none` gives the seconds with answers not from the service. */
function run(perSecond: (s: number) => { version: string; requests: number; failed?: number }[]): Stamped[] {
  const events: Stamped[] = [loadStarted(10), ...step("recovery", 20, 25)];
  for (let s = 0; s < 30; s++) {
    const rows = perSecond(s);
    const total = rows.reduce((a, r) => a + r.requests, 0);
    const failed = rows.reduce((a, r) => a + (r.failed ?? 0), 0);
    events.push(loadSecond(11 + s, s, "*", { requests: total, failed }));
    for (const r of rows) events.push(loadSecond(11 + s, s, r.version, { requests: r.requests, failed: r.failed ?? 0 }));
  }
  return events;
}

const expectation = (over: Partial<RequestsExpectation>): RequestsExpectation => ({ id: "switch", kind: "requests", during: "recovery", ...over });
const none = { op: "==" as const, value: 0, text: "0" };

describe("judge: requests expectations", () => {
  const clean = run((s) => [{ version: s < 12 ? "erroring-1" : "good-1", requests: 20, failed: s < 12 ? 4 : 0 }]);

  it("holds when no request of the step's seconds went unanswered by the service", () => {
    const j = judge(expectation({ dropped: none }), evidenceOf(clean));
    expect(j.held).toBe(true);
    // The step is t 20..25; the load's second s covers t 10+s..11+s: seconds 10..14 overlap it.
    expect(j.evidence).toBe("100 requests in seconds 10-14 of the load (those overlapping recovery): 0 dropped (no answer from the service), expected 0");
  });

  it("fails on one dropped request at the edge of the step, and not on one outside it", () => {
    const edge = run((s) => [{ version: "good-1", requests: 20 }, ...(s === 14 ? [{ version: "(none)", requests: 1, failed: 1 }] : [])]);
    const j = judge(expectation({ dropped: none }), evidenceOf(edge));
    expect(j.held).toBe(false);
    expect(j.evidence).toContain("1 dropped");
    const outside = run((s) => [{ version: "good-1", requests: 20 }, ...(s === 15 ? [{ version: "(none)", requests: 1, failed: 1 }] : [])]);
    expect(judge(expectation({ dropped: none }), evidenceOf(outside)).held).toBe(true);
  });

  it("says what each dropped request got instead of an answer: the transport error, or the router's own status", () => {
    const events = [...run((s) => [{ version: "good-1", requests: 20 }])];
    events.push(loadSecond(24, 13, "(none)", { requests: 3, failed: 3, codes: { "0": 2, "503": 1 }, errors: { "Get \"http://router/api/evaluations\": EOF": 2 } }));
    const j = judge(expectation({ dropped: none }), evidenceOf(events));
    expect(j.held).toBe(false);
    expect(j.evidence).toContain('3 dropped (no answer from the service: second 13: 2× Get "http://router/api/evaluations": EOF, 1× status 503), expected 0');
  });

  it("judges the failed share with the threshold grammar's strictness", () => {
    const at = (n: number) => run(() => [{ version: "good-1", requests: 100, failed: n }]);
    const below1 = expectation({ failed: parseComparison("<1%")! });
    expect(judge(below1, evidenceOf(at(0))).held).toBe(true);
    const exactly = judge(below1, evidenceOf(at(1)));
    expect(exactly.held).toBe(false);
    expect(exactly.evidence).toContain("5 failed (1.00%), expected <1%");
    expect(judge(expectation({ failed: parseComparison("<=1%")! }), evidenceOf(at(1))).held).toBe(true);
  });

  it("names every version that answered when one was not expected", () => {
    const j = judge(expectation({ versions: ["good-1"] }), evidenceOf(clean));
    expect(j.held).toBe(false);
    expect(j.evidence).toContain("answered by erroring-1 ×40, good-1 ×60, expected only good-1");
    expect(judge(expectation({ during: undefined, versions: ["good-1", "erroring-1"] }), evidenceOf(clean)).held).toBe(true);
  });

  it("does not hold without requests or when the step never ended", () => {
    expect(judge(expectation({ dropped: none }), evidenceOf([loadStarted(10), ...step("recovery", 20, 25)])).evidence).toMatch(/no request during recovery/);
    const unfinished = judge(expectation({ dropped: none }), evidenceOf([loadStarted(10), stamp(20, { type: "step.started", step: "recovery", kind: "observe", specSeconds: 5, wallSeconds: 5 })]));
    expect(unfinished).toMatchObject({ held: false, evidence: "step recovery never ran to its end, so its requests were not judged" });
  });
});
