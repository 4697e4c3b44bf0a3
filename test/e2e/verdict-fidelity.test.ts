import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScenarioFiles } from "../support/scenario-files.js";
import { cli, readEvents, readResults, runContainers, type RunEvent } from "./cli.js";

// Verdicts against the real service, Prometheus and the router: the analysis's p95 agrees with the requests
// near the document's thresholds, and a stage the load cannot judge is inconclusive, not passed.

const files = new ScenarioFiles();
beforeAll(() => files.open("gameday-fidelity-"));
afterAll(() => files.close());

/**
 * The document's canary at 0.01 (canary-10 6 s, canary-50 9 s), a candidate with a fixed added latency, `rate` req/s
 * through the router. The latency cases run a light load (20 req/s, so a window of canary-10 holds 4 of the
 * candidate's requests: minRequests 3): on two cores a heavier one adds event-loop delay of its own to every
 * request, and a candidate at 290 ms then truly answers in over 300 ms.
 */
function canary(name: string, latencyMs: number, rate: number, expect: string, minRequests?: number): string {
  return `name: ${name}
description: the document's canary with a candidate ${latencyMs} ms slower, at ${rate} req/s
strategy: ${minRequests === undefined ? "canary" : `{ name: canary, minRequests: ${minRequests} }`}
timeScale: 0.01
versions:
  stable: { image: app, tag: good-1, replicas: 1 }
  candidate: { image: app, tag: good-2, replicas: 1, faults: { latencyMs: ${latencyMs} } }
load:
  target: router
  executor: constant-arrival-rate
  rate: ${rate}
  duration: 30m
  timeout: 5s
  requests:
    - { method: GET, path: /api/evaluations }
expect:
${expect}
`;
}

/** The load generator's own p95 of the candidate in the seconds an analysis window covered (the median of its per-second p95s). */
function loadP95(events: RunEvent[], version: string, at: number, windowSeconds: number): number | undefined {
  const started = events.find((e) => e.type === "load.started")!.t;
  const p95s = events
    .filter((e) => e.type === "load.second" && e.version === version && (e.requests as number) > 0 && started + (e.second as number) >= at - windowSeconds && started + (e.second as number) + 1 <= at)
    .map((e) => e.p95 as number)
    .sort((a, b) => a - b);
  return p95s.length === 0 ? undefined : p95s[Math.floor(p95s.length / 2)];
}

describe("latency verdicts near the document's thresholds", () => {
  // The truth is what the requests took. A candidate asked for 260 or 290 ms answers some requests in over 300 ms on
  // a machine busy enough to delay its event loop (the suite's, CI's), and in a window of 7 requests p95 is the
  // slowest: then rolling it back is the right verdict. So the test checks that the analysis agrees with the
  // load's own view (the median of its per-second p95s, a coarser reference than the exact quantile the analysis
  // bench holds to 5%: 10% here, on windows of 10 requests or more), that each decision sits on that truth's side
  // of its stage's threshold wherever the truth is clear of it, and that a rollback, if any, is for latency on a window whose
  // requests really came near 300 ms. Otherwise the candidate is promoted.
  for (const latencyMs of [260, 290]) {
    it(`a candidate at ${latencyMs} ms is judged by canary-50's <300ms on the side of the requests' own p95`, async () => {
      const file = files.write(canary(`latency-${latencyMs}`, latencyMs, 20, "  - { id: promoted, promoted: true }\n  - { id: no-rollback, rollback: none }", 3), `latency-${latencyMs}.yaml`);
      const r = await cli(["scenario", file]);
      expect(r.runDir, `stderr: ${r.stderr}\nstdout: ${r.stdout}`).toBeDefined();
      const results = readResults(r.runDir!);
      const events = readEvents(r.runDir!);
      const analyses = events.filter((e) => e.type === "analysis.evaluated" && e.latencyMs !== null && (e.requests as number) >= 3);
      expect(analyses.length).toBeGreaterThan(2);
      for (const a of analyses) {
        const truth = loadP95(events, "good-2", a.t, a.windowSeconds as number);
        if (truth === undefined) continue;
        const seen = a.latencyMs as number;
        const where = `${String(a.stage)} at t=${a.t}: analysis ${seen} ms over ${String(a.requests)} requests, load ${truth} ms, verdict ${String(a.verdict)}`;
        if ((a.requests as number) >= 10) expect(Math.abs(seen - truth) / truth, where).toBeLessThan(0.1);
        expect((a.latencyInterval as number[])[1], `interval ${String(a.latencyInterval)} around ${seen}`).toBeGreaterThanOrEqual(seen);
        expect((a.latencyInterval as number[])[0]).toBeLessThanOrEqual(seen);
        // Each stage's own criterion: canary-10's <500ms, canary-50's <300ms.
        const threshold = a.stage === "canary-50" ? 300 : 500;
        if (truth < threshold * 0.9) expect(a.verdict, where).not.toBe("breach");
        if (truth > threshold * 1.1) expect(["breach", "saturated"], where).toContain(a.verdict);
      }
      const held = Object.fromEntries(results.expectations.map((e) => [e.id, e]));
      if (r.code === 0) {
        for (const e of results.expectations) expect(e.held, `${e.id}: ${e.evidence}`).toBe(true);
      } else if (r.code === 3) {
        // The machine itself was saturated while the stage was judged: nothing here blames the candidate.
        expect(results.verdict).toBe("inconclusive");
      } else {
        // Rolled back: for latency, on a window whose slowest second (load's p95) came within 5% of 300 ms.
        expect(held["no-rollback"]!.evidence).toMatch(/p95 response time 3\d\dms/);
        const breach = analyses.find((a) => a.verdict === "breach")!;
        const started = events.find((e) => e.type === "load.started")!.t;
        const seconds = events.filter((e) => e.type === "load.second" && e.version === "good-2" && (e.requests as number) > 0 && started + (e.second as number) + 1 > breach.t - (breach.windowSeconds as number) - 1 && started + (e.second as number) <= breach.t);
        expect(Math.max(...seconds.map((e) => e.max as number)), JSON.stringify(seconds)).toBeGreaterThan(300 * 0.95);
        expect(r.code).toBe(1);
      }
      expect(await runContainers(results.runId)).toBe(0);
    }, 240_000);
  }

  it("a candidate at 320 ms fails canary-50's <300ms, with the requests and the interval in the reason", async () => {
    const file = files.write(canary("latency-320", 320, 20, "  - { id: rolled-back, rollback: { trigger: response_time, stage: canary-50 } }", 3), "latency-320.yaml");
    const r = await cli(["scenario", file]);
    const results = readResults(r.runDir!) as ReturnType<typeof readResults> & { rollback: { reason: string } | null };
    for (const e of results.expectations) expect(e.held, `${e.id}: ${e.evidence}`).toBe(true);
    expect(r.code).toBe(0);
    expect(results.rollback?.reason).toMatch(/^p95 response time 3\d\dms \(\d+ requests, 95% CI 3\d\d-3\d\dms\) fails the success criterion <300ms$/);
  }, 240_000);
});

describe("a load too small to judge a stage", () => {
  it("is warned of before the run, and canary-10 ends inconclusive instead of promoting", async () => {
    const file = files.write(canary("too-small", 0, 2, "  - { id: promoted, promoted: true }"), "too-small.yaml");
    const validated = await cli(["scenario", "--validate", file]);
    expect(validated.code).toBe(0);
    expect(validated.stderr).toMatch(/warning: .*strategy stage canary-10 \(10% of the load\): an analysis window of 2\.0 s holds about 0 of the candidate's API requests at 2 req\/s, under minRequests \(10\): the stage would end inconclusive; a load of at least 50 req\/s would give it enough/);
    const r = await cli(["scenario", file]);
    const results = readResults(r.runDir!) as ReturnType<typeof readResults> & { strategy: { result: string; inconclusive?: { stage: string; reason: string } } };
    expect(results.strategy).toMatchObject({ result: "inconclusive", inconclusive: { stage: "canary-10" } });
    const promoted = results.expectations.find((e) => e.id === "promoted")!;
    expect(promoted.held).toBe(false);
    expect(promoted.evidence).toMatch(/^canary-10 was inconclusive, so the promotion stopped there: no analysis window of canary-10 held minRequests \(10\)/);
    expect(r.code).toBe(1);
    const events = readEvents(r.runDir!);
    expect(events.some((e) => e.type === "stage.started" && e.stage === "canary-50")).toBe(false);
    expect(events.at(-1)).toBeDefined();
    expect(await runContainers(results.runId)).toBe(0);
  }, 240_000);
});
