import { describe, expect, it } from "vitest";
import { toResult, type VegetaResult } from "./vegeta-results.js";

describe("vegeta's results as the harness reads them", () => {
  const base: VegetaResult = { seq: 0, code: 0, timestamp: "2026-12-01T21:11:33.500000000Z", latency: 15_561_646, error: "", headers: null, method: "POST" };

  it("keeps a transport error's cause, without the request Go's client names before it", () => {
    const r = toResult({ ...base, code: 0, error: 'Post "http://127.0.0.1:40000/api/evaluations": EOF' });
    expect(r).toMatchObject({ code: 0, error: "EOF", latencyMs: 15.561646 });
    expect(r.version).toBeUndefined();
  });

  it("reads an answer's version and server time, and no error", () => {
    const r = toResult({ ...base, method: "GET", code: 200, error: "", headers: { "X-App-Version": ["good-2"], "Server-Timing": ["app;dur=4.2"] } });
    expect(r).toMatchObject({ code: 200, version: "good-2", serverMs: 4.2 });
    expect(r.error).toBeUndefined();
  });
});
