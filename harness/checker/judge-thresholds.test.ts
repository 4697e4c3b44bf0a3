import { describe, expect, it } from "vitest";
import type { ThresholdsExpectation } from "../scenario/scenario.js";
import { evidenceOf, loadFinished, loadStarted, threshold } from "../../test/support/evidence.js";
import { judge } from "./checker.js";

const passed: ThresholdsExpectation = { id: "thresholds-pass", kind: "thresholds", passed: true };
const failed: ThresholdsExpectation = { id: "thresholds-fail", kind: "thresholds", passed: false };

const allPass = [threshold("http_req_failed", "rate<0.01", 0.0021, true), threshold("http_req_duration", "p(95)<500", 123.4567, true)];
const oneFails = [threshold("http_req_failed", "rate<0.01", 0.2, false), threshold("http_req_duration", "p(95)<500", 123.4567, true)];

describe("judge: thresholds expectations", () => {
  it("holds with passed: true when every threshold passed, listing them", () => {
    const j = judge(passed, evidenceOf([loadStarted(1), loadFinished(20, allPass)]));
    expect(j.held).toBe(true);
    expect(j.evidence).toBe("http_req_failed rate<0.01: 0.002 passed; http_req_duration p(95)<500: 123.457 passed");
    expect(j.description).toBe("the load's k6-style thresholds all passed");
  });

  it("is not held with passed: true when one threshold failed", () => {
    const j = judge(passed, evidenceOf([loadStarted(1), loadFinished(20, oneFails)]));
    expect(j.held).toBe(false);
    expect(j.evidence).toContain("http_req_failed rate<0.01: 0.2 FAILED");
  });

  it("holds with passed: false when one threshold failed, and not when all passed", () => {
    const j = judge(failed, evidenceOf([loadStarted(1), loadFinished(20, oneFails)]));
    expect(j.held).toBe(true);
    expect(j.description).toBe("the load's k6-style thresholds did not all pass");
    expect(judge(failed, evidenceOf([loadStarted(1), loadFinished(20, allPass)])).held).toBe(false);
  });

  it("is not held when the load never finished", () => {
    for (const e of [passed, failed]) {
      const j = judge(e, evidenceOf([loadStarted(1)]));
      expect(j).toMatchObject({ held: false, evidence: "the load never finished, so its thresholds were not judged" });
    }
  });

  it("is not held either way when the load had no thresholds", () => {
    for (const e of [passed, failed]) {
      const j = judge(e, evidenceOf([loadStarted(1), loadFinished(20, [])]));
      expect(j).toMatchObject({ held: false, evidence: "no thresholds" });
    }
  });

  it("judges the thresholds of every load phase together", () => {
    const events = [loadFinished(10, allPass, "warm-up"), loadFinished(20, [threshold("http_req_failed{version:good-1}", "rate<0.01", 0.5, false)], "steady")];
    expect(judge(passed, evidenceOf(events)).held).toBe(false);
    expect(judge(failed, evidenceOf(events)).held).toBe(true);
  });
});
