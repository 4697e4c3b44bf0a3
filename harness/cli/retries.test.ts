import { describe, expect, it } from "vitest";
import { HarnessError } from "../common/errors.js";
import { attemptsNote, parseRetries, retryReason } from "./retries.js";

const held = { id: "a", description: "", held: true, evidence: "ok" };

describe("--retries", () => {
  it("takes a whole number from 0 to 5", () => {
    expect(parseRetries(undefined)).toBeUndefined();
    expect(parseRetries("0")).toBe(0);
    expect(parseRetries("5")).toBe(5);
    for (const bad of ["6", "-1", "1.5", "", "one", "1e1"]) {
      expect(() => parseRetries(bad), bad).toThrow(HarnessError);
    }
    expect(() => parseRetries("9")).toThrow(/--retries must be a whole number from 0 to 5, got "9"/);
  });

  it("runs again only an inconclusive run, and says which expectation could not be judged", () => {
    const unjudged = { id: "alive-after", description: "", held: false, evidence: "15 of 16 answered 200", inconclusive: "the machine was saturated (host CPU 100%)" };
    expect(retryReason({ verdict: "inconclusive", expectations: [held, unjudged], strategy: null })).toBe("alive-after: the machine was saturated (host CPU 100%)");
    // A failed run is a finding, even with an inconclusive expectation beside the failed one.
    const failed = { id: "b", description: "", held: false, evidence: "no" };
    expect(retryReason({ verdict: "failed", expectations: [failed, unjudged], strategy: null })).toBeUndefined();
    expect(retryReason({ verdict: "passed", expectations: [held], strategy: null })).toBeUndefined();
    expect(retryReason({ verdict: "error", expectations: [], strategy: null })).toBeUndefined();
  });

  it("falls back on the strategy's reason when no expectation carries one", () => {
    const strategy = { result: "inconclusive" as const, inconclusive: { stage: "canary-10", reason: "the load fell behind" } };
    expect(retryReason({ verdict: "inconclusive", expectations: [held], strategy })).toBe("stage canary-10: the load fell behind");
  });

  it("names the earlier attempts in the summary", () => {
    expect(attemptsNote([], (f) => f)).toBe("");
    expect(attemptsNote([{ runDir: "/r/1", reason: "x" }], (f) => f.replace("/r/", "runs/"))).toBe(" (attempt 2; attempt 1 inconclusive: runs/1)");
  });
});
