import { describe, expect, it } from "vitest";
import type { HealthExpectation } from "../scenario/scenario.js";
import { evidenceOf } from "../../test/support/evidence.js";
import { judge } from "./checker.js";

function health(over: Partial<HealthExpectation> = {}): HealthExpectation {
  return { id: "stable-healthy", kind: "health", version: "stable", path: "/health", status: 200, ...over };
}

describe("judge: health expectations", () => {
  it("holds when every instance answered the status at the end", () => {
    const j = judge(health(), evidenceOf([], { finalHealth: { "stable /health": [200, 200, 200] } }));
    expect(j.held).toBe(true);
    expect(j.evidence).toBe("stable instances answered 200, 200, 200");
    expect(j.description).toBe("at the end, every stable instance answers /health with 200");
  });

  it("is not held when the statuses are mixed", () => {
    const j = judge(health(), evidenceOf([], { finalHealth: { "stable /health": [200, 503] } }));
    expect(j.held).toBe(false);
    expect(j.evidence).toBe("stable instances answered 200, 503");
  });

  it("is not held when an instance did not answer", () => {
    const j = judge(health(), evidenceOf([], { finalHealth: { "stable /health": [200, null] } }));
    expect(j.held).toBe(false);
    expect(j.evidence).toBe("stable instances answered 200, no answer");
  });

  it("holds for an expected failure status answered by every instance", () => {
    expect(judge(health({ version: "candidate", path: "/ready", status: 503 }), evidenceOf([], { finalHealth: { "candidate /ready": [503, 503] } })).held).toBe(true);
    expect(judge(health({ version: "candidate", path: "/ready", status: 503 }), evidenceOf([], { finalHealth: { "candidate /ready": [503, 200] } })).held).toBe(false);
  });

  it("is not held when the path of the version was not probed at the end", () => {
    const none = judge(health(), evidenceOf([]));
    expect(none).toMatchObject({ held: false, evidence: "/health of stable was not probed at the end" });
    // Probed, but another path or another role.
    expect(judge(health(), evidenceOf([], { finalHealth: { "stable /ready": [200], "candidate /health": [200] } })).held).toBe(false);
    expect(judge(health(), evidenceOf([], { finalHealth: { "stable /health": [] } })).held).toBe(false);
  });
});
