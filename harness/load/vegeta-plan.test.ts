import { describe, expect, it } from "vitest";
import { HarnessError } from "../common/errors.js";
import { boundSegments, checkBaseUrl, interleave, vegetaRate, vegetaTargets } from "./vegeta-plan.js";

describe("vegeta helpers", () => {
  it("accepts only loopback http base URLs", () => {
    expect(checkBaseUrl("http://127.0.0.1:8000")).toBe("http://127.0.0.1:8000");
    expect(checkBaseUrl("http://localhost:8000/")).toBe("http://localhost:8000");
    for (const bad of ["https://127.0.0.1:8000", "http://10.0.0.1:8000", "http://example.com", "http://127.0.0.2:80", "127.0.0.1:8000", "http://127.0.0.1:8000/?q=1", "http://u:p@127.0.0.1:1"]) {
      expect(() => checkBaseUrl(bad), bad).toThrow(HarnessError);
    }
    try {
      checkBaseUrl("http://example.com");
    } catch (e) {
      expect((e as HarnessError).code).toBe("USAGE");
      expect((e as HarnessError).hint).toBeTruthy();
    }
  });

  it("interleaves weights reduced by their gcd", () => {
    expect(interleave([3, 1])).toEqual([0, 0, 1, 0]);
    expect(interleave([6, 2])).toEqual([0, 0, 1, 0]);
    expect(interleave([1, 1, 1])).toEqual([0, 1, 2]);
    const mix = interleave([2, 3]);
    expect(mix).toHaveLength(5);
    expect(mix.filter((i) => i === 1)).toHaveLength(3);
    expect(mix).not.toEqual([0, 0, 1, 1, 1]); // interleaved, not blocked
    expect(interleave([5])).toEqual([0]);
  });

  it("writes JSON targets with the body in base64 and its content type", () => {
    const text = vegetaTargets("http://127.0.0.1:1", [
      { method: "GET", path: "/api/evaluations", weight: 3 },
      { method: "POST", path: "/api/evaluations", body: { model: "m", score: 0.5 }, weight: 1 },
      { method: "PUT", path: "/raw", body: "plain", weight: 1 },
    ]);
    const lines = text.trimEnd().split("\n").map((l) => JSON.parse(l) as { method: string; url: string; body?: string; header?: Record<string, string[]> });
    expect(lines.map((l) => l.method)).toEqual(["GET", "POST", "GET", "PUT", "GET"]);
    const post = lines[1]!;
    expect(post.url).toBe("http://127.0.0.1:1/api/evaluations");
    expect(Buffer.from(post.body!, "base64").toString()).toBe('{"model":"m","score":0.5}');
    expect(post.header).toEqual({ "Content-Type": ["application/json"] });
    expect(lines[3]!.header).toEqual({ "Content-Type": ["text/plain"] });
    expect(lines[0]).toEqual({ method: "GET", url: "http://127.0.0.1:1/api/evaluations" });
  });

  it("writes rates vegeta understands", () => {
    expect(vegetaRate(200)).toBe("200/1s");
    expect(vegetaRate(16.667)).toBe("16667/1000s");
    expect(vegetaRate(0.5)).toBe("500/1000s");
  });

  it("bounds a plan by maxRequests", () => {
    const segments = [
      { ratePerSecond: 100, durationMs: 1000 },
      { ratePerSecond: 0, durationMs: 500 },
      { ratePerSecond: 200, durationMs: 1000 },
    ];
    expect(boundSegments(segments, 1000)).toEqual({ segments, truncated: false });
    expect(boundSegments(segments, 300)).toEqual({ segments, truncated: false });
    expect(boundSegments(segments, 150)).toEqual({ segments: [segments[0], segments[1], { ratePerSecond: 200, durationMs: 250 }], truncated: true });
    expect(boundSegments(segments, 50)).toEqual({ segments: [{ ratePerSecond: 100, durationMs: 500 }], truncated: true });
  });
});
